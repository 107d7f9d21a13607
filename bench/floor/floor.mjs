// The Redis bench issue 27 judges SyncGuard by, run the way ../shared/anchor-bench runs it: every
// contender in its own process (worker.mjs), the same client versions for all (bench/package.json:
// redis 6.4.0, ioredis 6.1.0), each library at its own retry defaults, warm-up first, then
// interleaved rounds with the starting contender rotated, against one redis-server. Server
// commands and CPU come from INFO deltas around each chunk, so every chunk runs alone.
//   s1  uncontended acquire + release on fresh keys, sequential (1500 per chunk)
//   s2  8 workers on one hot key, hold 0 ms (500 ms chunks)
//   s3  8 workers on a pool of 64 keys (500 ms chunks)
// Ratios are medians of the per-round ratios to a reference run in the same round (paired).
import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), "worker.mjs");

export const FLOOR_CONTENDERS = [
  "raw-node-redis",
  "raw-ioredis",
  "raw-fenced-ioredis",
  "redis-semaphore",
  "redlock",
  "syncguard-lock",
  "syncguard-backend",
  "syncguard-ioredis",
];
export const FLOOR_SCENARIOS = ["s1", "s2", "s3"];

const DEFAULTS = {
  rounds: 20,
  s1Ops: 1500,
  s2Ms: 500,
  s3Ms: 500,
  workers: 8,
  pool: 64,
  warmupOps: 500,
  warmupMs: 300,
  ttlMs: 10_000,
  retryDelayMs: 5,
  drainMs: 1000,
};

class Worker {
  constructor(name) {
    this.name = name;
    this.seq = 0;
    this.pending = new Map();
    this.child = fork(WORKER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    this.child.on("message", (m) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
    this.child.on("exit", (code, signal) => {
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`worker ${this.name} exited (${code ?? signal})`));
      }
      this.pending.clear();
    });
  }

  call(cmd, payload = {}, timeoutMs = 180_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.reject(new Error(`worker ${this.name} is not running`));
    }
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name} ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.send({ id, cmd, ...payload });
    });
  }

  async close() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    await this.call("close", {}, 5_000).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** INFO cpu + commandstats of the server, through the bench's admin connection. */
async function serverSnapshot(admin) {
  const [stats, cpuUs] = await Promise.all([admin.commandStats(), admin.serverCpuMicros()]);
  return { stats, cpuUs };
}

// A subscriber connection's own commands: SyncGuard lets an idle channel linger 2 s before its
// UNSUBSCRIBE, which then lands in whichever chunk runs, so they are left out (as anchor-bench does).
const SUBSCRIBER_COMMANDS = new Set(["subscribe", "unsubscribe", "ssubscribe", "sunsubscribe"]);

/** Commands per name between two snapshots; the admin connection's own commands left out. */
function commandsBetween(before, after) {
  const byCommand = {};
  let total = 0;
  for (const [name, calls] of Object.entries(after.stats)) {
    if (name === "info" || name === "hello" || name.startsWith("client")) continue;
    if (SUBSCRIBER_COMMANDS.has(name)) continue;
    const delta = calls - (before.stats[name] ?? 0);
    if (delta > 0) {
      byCommand[name] = delta;
      total += delta;
    }
  }
  return { total, byCommand };
}

const median = (values) => {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2;
};

/**
 * Runs the bench. `redis`: { host, port } of a server the bench owns (nothing else may use it);
 * `admin`: bench/lib/redis-tools.mjs's admin connection to it.
 */
export async function runFloorBench({
  redis,
  admin,
  contenders = FLOOR_CONTENDERS,
  scenarios = FLOOR_SCENARIOS,
  quick = false,
  log = () => {},
  ...overrides
}) {
  const cfg = {
    ...DEFAULTS,
    ...(quick ? { rounds: 3, s1Ops: 300, s2Ms: 200, s3Ms: 200 } : {}),
    ...overrides,
  };
  const workers = contenders.map((name) => new Worker(name));
  const server = {}; // server[scenario][name] = { cmds, cpuUs, byCommand }
  const failed = {};
  try {
    await Promise.all(
      workers.map((w) =>
        w.call("setup", {
          name: w.name,
          drainMs: cfg.drainMs,
          config: {
            host: redis.host,
            port: redis.port,
            ttlMs: cfg.ttlMs,
            retryDelayMs: cfg.retryDelayMs,
          },
        }),
      ),
    );
    const payload = (scenario, warm) => {
      if (scenario === "s1") return { n: warm ? cfg.warmupOps : cfg.s1Ops };
      if (scenario === "s2") return { ms: warm ? cfg.warmupMs : cfg.s2Ms, workers: cfg.workers };
      return { ms: warm ? cfg.warmupMs : cfg.s3Ms, workers: cfg.workers, pool: cfg.pool };
    };
    const live = () => workers.filter((w) => !failed[w.name]);
    const runChunk = async (w, scenario, record) => {
      const before = record ? await serverSnapshot(admin) : undefined;
      try {
        await w.call(scenario, { ...payload(scenario, !record), record }, 120_000);
      } catch (error) {
        failed[w.name] = `${scenario}: ${String(error.message).split("\n")[0]}`;
        log(`[floor] ${w.name} failed in ${scenario}: ${failed[w.name]}`);
        return;
      }
      if (!record) return;
      const after = await serverSnapshot(admin);
      const cmds = commandsBetween(before, after);
      server[scenario] ??= {};
      server[scenario][w.name] ??= { cmds: 0, cpuUs: 0, byCommand: {} };
      const s = server[scenario][w.name];
      s.cmds += cmds.total;
      s.cpuUs += after.cpuUs - before.cpuUs;
      for (const [c, n] of Object.entries(cmds.byCommand))
        s.byCommand[c] = (s.byCommand[c] ?? 0) + n;
    };
    log(`[floor] warm-up of ${workers.length} contenders`);
    for (const w of workers) for (const scenario of scenarios) await runChunk(w, scenario, false);
    for (let round = 0; round < cfg.rounds; round++) {
      for (const scenario of scenarios) {
        const order = live();
        for (let i = 0; i < order.length; i++) {
          await runChunk(order[(i + round) % order.length], scenario, true);
        }
      }
      log(`[floor] round ${round + 1}/${cfg.rounds}`);
    }
    const reports = {};
    for (const w of live()) reports[w.name] = await w.call("report");
    return {
      config: { ...cfg, scenarios, contenders },
      ...assemble(cfg, scenarios, reports, server),
      failed,
    };
  } finally {
    await Promise.all(workers.map((w) => w.close()));
  }
}

function assemble(cfg, scenarios, reports, server) {
  const results = {};
  for (const scenario of scenarios) {
    const rows = {};
    for (const [name, report] of Object.entries(reports)) {
      const r = report.scenarios[scenario];
      if (!r) continue;
      const ops = r.chunks.reduce((a, c) => a + c.ops, 0);
      const sv = server[scenario]?.[name];
      const row = {
        name,
        chunkOpsPerS: r.chunks.map((c) => (c.ops / c.windowMs) * 1000),
        ops,
        clientCpuUsPerOp: r.chunks.reduce((a, c) => a + c.cpuUs, 0) / ops,
        serverCpuUsPerOp: sv ? sv.cpuUs / ops : Number.NaN,
        serverCmdsPerOp: sv ? sv.cmds / ops : Number.NaN,
        serverCmdsByCommand: sv
          ? Object.fromEntries(
              Object.entries(sv.byCommand)
                .sort((a, b) => b[1] - a[1])
                .map(([c, n]) => [c, n / ops]),
            )
          : {},
        requestsPerOp: r.chunks.reduce((a, c) => a + c.requests, 0) / ops,
        latency: r.latency,
        stalled: r.chunks.reduce((a, c) => a + (c.stalled ?? 0), 0),
      };
      row.opsPerS = median(row.chunkOpsPerS);
      if (scenario === "s2") {
        const totals = new Array(cfg.workers).fill(0);
        for (const counts of r.perWorker) {
          for (let i = 0; i < counts.length; i++) totals[i] += counts[i];
        }
        row.perWorker = totals;
        row.fairness =
          Math.max(...totals) > 0 ? Math.min(...totals) / Math.max(...totals) : Number.NaN;
        row.gapP50 = r.gapP50;
        const handoffs = r.chunks.reduce((a, c) => a + c.handoffs, 0);
        row.takeBackShare = handoffs
          ? r.chunks.reduce((a, c) => a + c.takeBacks, 0) / handoffs
          : Number.NaN;
      }
      rows[name] = row;
    }
    // Chunk i of every contender ran in round i: ratios are taken per round, then the median.
    const paired = (row, reference) =>
      reference
        ? median(
            row.chunkOpsPerS.map((x, i) => x / reference.chunkOpsPerS[i]).filter(Number.isFinite),
          )
        : Number.NaN;
    for (const row of Object.values(rows)) {
      row.vsFloor = paired(row, rows["raw-node-redis"]);
      row.vsFencedFloor = paired(row, rows["raw-fenced-ioredis"]);
      row.vsSemaphore = paired(row, rows["redis-semaphore"]);
      row.perRoundVsFloor = rows["raw-node-redis"]
        ? row.chunkOpsPerS.map((x, i) => x / rows["raw-node-redis"].chunkOpsPerS[i])
        : [];
    }
    results[scenario] = rows;
  }
  return { results };
}
