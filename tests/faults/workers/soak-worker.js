// A soak worker (run with --expose-gc): loops lock() on random keys until told to stop, every
// critical section in the ledger. argv[2] is JSON { backend, ledger, keys, ttlMs, timeoutMs }.
// Messages: { type: "start" }, { type: "stop" } -> replies { type: "stats", ops, errors,
// heapStartBytes, heapEndBytes } and exits. Heap is measured after a forced GC, the first time
// once warm (after WARMUP_MS of work), the second at the end.
const { connectBackend } = require("./connect");
const { openSectionLog } = require("./section-log");

const WARMUP_MS = 3000;
const config = JSON.parse(process.argv[2]);
const log = openSectionLog(config.ledger);
const send = (message) => process.send?.(message);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = (list) => list[Math.floor(Math.random() * list.length)];

function heapAfterGc() {
  global.gc?.();
  return process.memoryUsage().heapUsed;
}

async function section(ctx, key) {
  const id = log.enter(key, ctx.fence);
  let open = true;
  const close = (why) => {
    if (!open) return;
    open = false;
    log.exit(id, why);
  };
  // The lock's signal ends the protected part of the work.
  ctx.signal.addEventListener("abort", () => close("signal"), { once: true });
  // Mostly short sections, now and then one that spans a renewal.
  await sleep(Math.random() < 0.03 ? 400 + Math.random() * 400 : Math.random() * 20);
  close("returned");
}

async function main() {
  const { lock, close } = await connectBackend(config.backend);
  let running = false;
  let stopping = false;
  const stats = { ops: 0, errors: {}, heapStartBytes: null, heapEndBytes: null };
  let startedAt = 0;

  const loop = async () => {
    while (!stopping) {
      const key = pick(config.keys);
      try {
        await lock((ctx) => section(ctx, key), {
          key,
          ttlMs: config.ttlMs,
          timeoutMs: config.timeoutMs,
          autoExtend: Math.random() < 0.3,
          retryDelayMs: 20,
          maxRetryDelayMs: 200,
          maxRetries: 100,
        });
        stats.ops += 1;
      } catch (error) {
        const code = error?.code ?? error?.name ?? "unknown";
        stats.errors[code] = (stats.errors[code] ?? 0) + 1;
        if (code !== "AcquisitionTimeout") await sleep(20); // server down: do not spin
      }
      if (stats.heapStartBytes === null && performance.now() - startedAt > WARMUP_MS) {
        stats.heapStartBytes = heapAfterGc();
      }
    }
  };

  let finished;
  process.on("message", (message) => {
    if (message.type === "start" && !running) {
      running = true;
      startedAt = performance.now();
      finished = loop();
    } else if (message.type === "stop") {
      stopping = true;
      Promise.resolve(finished)
        .then(() => {
          stats.heapEndBytes = heapAfterGc();
          send({ type: "stats", ...stats });
          return close();
        })
        .finally(() => setTimeout(() => process.exit(0), 50));
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
