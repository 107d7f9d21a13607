// The ratio scenarios s1-s3 (issue 27): every contender in its own process, interleaved rounds,
// against one redis-server (floor/floor.mjs). The three share one run, so each round takes every
// contender through s1, s2 and s3 back to back; the first entry selected starts it.
import { FLOOR_SCENARIOS, runFloorBench } from "../floor/floor.mjs";
import { fmt, fmtInt, fmtRatio } from "../lib/util.mjs";

const TITLES = {
  s1: "s1. Uncontended acquire + release on fresh keys, one worker, sequential",
  s2: "s2. Hot key: 8 workers on one key, hold 0 ms",
  s3: "s3. Key pool: 8 workers on 64 keys, a random key per op",
};

const LEGEND =
  "Each contender in its own process, at its own retry defaults, the same client versions for all (redis 6.4.0, ioredis 6.1.0); interleaved rounds, the first contender rotated each round. ops/s = median over rounds; ×floor, ×fenced and ×sem = median of the per-round ratios to raw-node-redis (SET NX PX + compare-and-delete, the unfenced floor), raw-fenced-ioredis (one script SET NX PX + INCR of a shared counter, then compare-and-delete: the fenced floor) and redis-semaphore; RT/op = requests sent; srv cmds/op = commands Redis ran (scripts and what ran inside them, INFO commandstats); client and server CPU = process CPU (user + sys) per op, server from INFO cpu around each chunk.";

const COMMON = [
  "contender",
  "ops/s",
  "×floor",
  "×fenced",
  "×sem",
  "p50 µs",
  "p99 µs",
  "RT/op",
  "srv cmds/op",
  "client CPU µs/op",
  "server CPU µs/op",
];

function commonCells(r) {
  return [
    r.name,
    fmtInt(r.opsPerS),
    fmtRatio(r.vsFloor),
    fmtRatio(r.vsFencedFloor),
    fmtRatio(r.vsSemaphore),
    fmt(r.latency.p50, 0),
    fmt(r.latency.p99, 0),
    fmt(r.requestsPerOp),
    fmt(r.serverCmdsPerOp),
    fmt(r.clientCpuUsPerOp, 0),
    fmt(r.serverCpuUsPerOp, 0),
  ];
}

/** One run of every selected ratio scenario, shared by their entries. */
async function sharedRun(ctx) {
  ctx.floorRun ??= (async () => {
    const { hostname, port } = new URL(ctx.redis.url);
    const scenarios = FLOOR_SCENARIOS.filter((s) => ctx.selected.includes(s));
    const run = await runFloorBench({
      redis: { host: hostname, port: Number(port) },
      admin: ctx.admin,
      scenarios,
      quick: ctx.Q,
      ...(ctx.rounds ? { rounds: ctx.rounds } : {}),
      log: ctx.log,
    });
    // After every lock ended: what SyncGuard left in Redis (fence counters, and queues that live
    // as long as their most patient waiter), never a lock record.
    run.keysLeft = {
      records: await ctx.admin.countKeys("syncguard:{??}:lock:*"),
      counters: await ctx.admin.countKeys("syncguard:{??}:fence"),
      queues: await ctx.admin.countKeys("syncguard:{??}:queue:*"),
      all: await ctx.admin.countKeys("syncguard:*"),
    };
    ctx.floorResult = run;
    return run;
  })();
  return ctx.floorRun;
}

const entry = (id) => ({
  id,
  log: `${id}: process-per-contender rounds (s1, s2, s3 share one run)`,
  title: () => TITLES[id],
  legend: LEGEND,
  columns:
    id === "s2"
      ? [...COMMON, "min/max share", "stalled", "hand-off gap p50 µs", "take-back"]
      : id === "s3"
        ? [...COMMON, "stalled"]
        : COMMON,
  row: (r) =>
    id === "s2"
      ? [...commonCells(r), fmt(r.fairness), r.stalled, fmt(r.gapP50, 0), fmt(r.takeBackShare)]
      : id === "s3"
        ? [...commonCells(r), r.stalled]
        : commonCells(r),
  // The shared run's rows for this scenario; the run keeps its own server to itself.
  noFlush: true,
  run: async (ctx) => {
    const run = await sharedRun(ctx);
    return Object.values(run.results[id] ?? {});
  },
  notes: (rows, ctx) => {
    const lines = [];
    const failed = Object.entries(ctx.floorResult?.failed ?? {});
    for (const [name, why] of failed) lines.push(`- ${name} failed: ${why}`);
    if (id === "s2") {
      lines.push(
        `Per-worker acquisitions: ${rows.map((r) => `${r.name} [${r.perWorker.join(", ")}]`).join("; ")}`,
      );
    }
    const byCommand = rows
      .filter((r) => r.name.startsWith("syncguard") || r.name === "raw-fenced-ioredis")
      .map(
        (r) =>
          `${r.name}: ${Object.entries(r.serverCmdsByCommand)
            .map(([c, n]) => `${c} ${n.toFixed(2)}`)
            .join(", ")}`,
      );
    lines.push(`Server commands per op: ${byCommand.join("; ")}`);
    return lines;
  },
});

export const floorEntries = () => FLOOR_SCENARIOS.map(entry);
