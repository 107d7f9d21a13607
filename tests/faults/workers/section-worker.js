// A lock holder in its own process, driven over IPC by a test. argv[2] is JSON
// { backend: BackendConfig, ledger: path }. Every critical section is logged to the ledger; it
// ends when fn returns or when the lock's signal says to stop, whichever comes first.
//
// Commands (each with an `id` echoed in the replies):
//   { type: "lock", key, options, hold: "until-finish" | "forever" }
//       lock(fn, { key, ...options }); fn enters, reports "entered", then waits for
//       { type: "finish", id } (or forever). Replies "entered", "signal" (ctx.signal aborted),
//       "exited", and "settled" with lock()'s outcome.
//   { type: "lease", key, options }
//       acquire() from core and hold the lease until its signal aborts (its safe deadline),
//       then stop working WITHOUT releasing, as a holder that crashed right then. Replies
//       "entered", "exited".
//   { type: "exit" }
const { acquire } = require("@syncguard/core");
const { connectBackend } = require("./connect");
const { openSectionLog } = require("./section-log");

const config = JSON.parse(process.argv[2]);
const log = openSectionLog(config.ledger);
const send = (message) => process.send?.(message);
const finishers = new Map();

/** One critical section on `key`: logged in the ledger, ended once. */
function openSection(id, key, fence, signal) {
  let section = log.enter(key, fence);
  const close = (why) => {
    if (section === undefined) return;
    log.exit(section, why);
    section = undefined;
    send({ type: "exited", id, key, fence, why });
  };
  const onAbort = () => {
    close("signal");
    send({ type: "signal", id, code: signal.reason?.code ?? null });
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return close;
}

async function runLock(backend, message) {
  const { id, key, options, hold } = message;
  let signalAborted = false;
  try {
    const value = await backend.lock(
      async (ctx) => {
        const close = openSection(id, key, ctx.fence, ctx.signal);
        ctx.signal.addEventListener("abort", () => {
          signalAborted = true;
        });
        send({ type: "entered", id, fence: ctx.fence, expiresAtMs: ctx.expiresAtMs });
        await new Promise((resolve) => {
          if (hold !== "forever") finishers.set(id, resolve);
        });
        signalAborted ||= ctx.signal.aborted;
        close("returned");
        return "fn-value";
      },
      { key, ...options },
    );
    send({ type: "settled", id, ok: true, value, signalAborted });
  } catch (error) {
    send({
      type: "settled",
      id,
      ok: false,
      signalAborted,
      code: error?.code ?? null,
      name: error?.name ?? null,
      message: String(error?.message ?? error),
    });
  }
}

async function runLease(backend, message) {
  const { id, key, options } = message;
  try {
    const handle = await acquire(backend.backend, { key, ...options });
    openSection(id, key, handle.fence, handle.signal);
    send({ type: "entered", id, fence: handle.fence, expiresAtMs: handle.expiresAtMs });
  } catch (error) {
    send({ type: "failed", id, code: error?.code ?? null, message: String(error?.message) });
  }
}

async function main() {
  const connected = await connectBackend(config.backend);
  process.on("message", (message) => {
    if (message.type === "lock") void runLock(connected, message);
    else if (message.type === "lease") void runLease(connected, message);
    else if (message.type === "finish") finishers.get(message.id)?.();
    else if (message.type === "exit") {
      Promise.resolve(connected.close()).finally(() => process.exit(0));
    }
  });
  send({ type: "ready", pid: process.pid });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
