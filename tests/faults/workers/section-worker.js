// A lock holder in its own process, driven over IPC by a test. argv[2] is JSON
// { backend: BackendConfig, ledger: path }. Every critical section is logged to the ledger; it
// ends when fn returns or when the lock's signal says to stop, whichever comes first.
//
// Commands (each with an `id` echoed in the replies):
//   { type: "lock", key, options, hold: "until-finish" | "forever", watch?: "at-enter" | "on-command" }
//       lock(fn, { key, ...options }); fn enters, reports "entered", then waits for
//       { type: "finish", id } (or forever). It watches ctx.signal from the start, or from
//       { type: "watch", id } on. Replies "entered", "signal" (ctx.signal aborted), "exited",
//       and "settled" with lock()'s outcome.
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
const watchers = new Map();

/**
 * One critical section on `key`, logged in the ledger and ended once: by `close(why)`, or when
 * the lock's signal aborts once `watch(signal)` was called. Reading a lease's signal can arm its
 * deadline, so when it is first read is up to the test (see `watch` below).
 */
function openSection(id, key, fence) {
  let section = log.enter(key, fence);
  const close = (why) => {
    if (section === undefined) return;
    log.exit(section, why);
    section = undefined;
    send({ type: "exited", id, key, fence, why });
  };
  const watch = (signal) => {
    const onAbort = () => {
      close("signal");
      send({ type: "signal", id, code: signal.reason?.code ?? null });
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  };
  return { close, watch };
}

async function runLock(backend, message) {
  const { id, key, options, hold, watch = "at-enter" } = message;
  let signalAborted = false;
  try {
    const value = await backend.lock(
      async (ctx) => {
        const section = openSection(id, key, ctx.fence);
        const watchSignal = () => {
          section.watch(ctx.signal);
          ctx.signal.addEventListener("abort", () => {
            signalAborted = true;
          });
        };
        // "on-command": fn first looks at its signal when told to (after a clock step, say).
        if (watch === "on-command") watchers.set(id, watchSignal);
        else watchSignal();
        send({ type: "entered", id, fence: ctx.fence, expiresAtMs: ctx.expiresAtMs });
        await new Promise((resolve) => {
          if (hold !== "forever") finishers.set(id, resolve);
        });
        signalAborted ||= ctx.signal.aborted;
        section.close("returned");
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
    openSection(id, key, handle.fence).watch(handle.signal);
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
    else if (message.type === "watch") watchers.get(message.id)?.();
    else if (message.type === "exit") {
      Promise.resolve(connected.close()).finally(() => process.exit(0));
    }
  });
  // Orphaned (the test process died): exit rather than hold locks and connections.
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", pid: process.pid });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
