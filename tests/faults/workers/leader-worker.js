// A candidate of a leader election in its own process, driven over IPC by a test. argv[2] is JSON
// { backend: BackendConfig, ledger?: path }. Every term is a section in the ledger: it begins when
// lead() starts and ends when the term's signal aborts (or the process dies).
//
// Commands:
//   { type: "campaign", id, key, ttlMs, fencedKey? }
//       elect(backend, { key, ttlMs }, lead). Replies "elected" { fence } for every term, "lost"
//       (onLost, with the error's code) and "signal" { code } when a term's signal aborts. With
//       `fencedKey` (redis-single), the leader writes its pid there every 50 ms with fencedSet
//       and its term's fence, checking its signal before each write: replies "wrote" { ok, fence,
//       aborted } (ok: false when the store refused a stale fence).
//   { type: "exit" }
const { elect } = require("@syncguard/core");
const { connectBackend } = require("./connect");
const { openSectionLog } = require("./section-log");

const config = JSON.parse(process.argv[2]);
const log = config.ledger ? openSectionLog(config.ledger) : undefined;
const send = (message) => process.send?.(message);
const pause = (ms, signal) =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });

async function fencedWriter(config) {
  if (config.kind !== "redis-single") return undefined;
  const { createClient } = require("redis");
  const { fencedSet } = require("@syncguard/redis");
  const client = createClient({ url: config.redisUrl });
  client.on("error", () => {});
  await client.connect();
  return {
    write: (key, fence) => fencedSet(client, { key, value: String(process.pid), fence }),
    close: () => client.destroy(),
  };
}

async function main() {
  const connected = await connectBackend(config.backend);
  const writer = await fencedWriter(config.backend);
  const campaign = ({ id, key, ttlMs, fencedKey }) =>
    elect(
      connected.backend,
      {
        key,
        ttlMs,
        onLost: (term) => send({ type: "lost", id, fence: term.fence, code: term.error?.code }),
      },
      async ({ fence, signal }) => {
        const section = log?.enter(key, fence);
        const ended = () => {
          if (section !== undefined) log.exit(section, "signal");
          send({ type: "signal", id, fence, code: signal.reason?.code ?? null });
        };
        if (signal.aborted) ended();
        else signal.addEventListener("abort", ended, { once: true });
        send({ type: "elected", id, fence });
        while (!signal.aborted) {
          if (fencedKey && writer) {
            try {
              await writer.write(fencedKey, fence);
              send({ type: "wrote", id, fence, ok: true, aborted: signal.aborted });
            } catch (error) {
              send({
                type: "wrote",
                id,
                fence,
                ok: false,
                name: error?.name,
                aborted: signal.aborted,
              });
            }
          }
          await pause(50, signal);
        }
      },
    );
  process.on("message", (message) => {
    if (message.type === "campaign") campaign(message);
    else if (message.type === "exit") {
      Promise.resolve(connected.close())
        .then(() => writer?.close())
        .finally(() => process.exit(0));
    }
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", pid: process.pid });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
