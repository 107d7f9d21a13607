// Every bench scenario as one entry: what it runs, and how its rows are printed. run.mjs only
// starts the services, runs the selected entries in order and prints their tables.
//   { id, title(ctx), legend, columns, row(r), run(ctx), notes?(rows, ctx) }
// ctx: { redis, firestore, admin, D (seconds), Q (quick), workers, rounds, log }

import { errorSummary, fmt, fmtInt, fmtRatio } from "../lib/util.mjs";
import { firestoreContended, firestoreLatency } from "./firestore.mjs";
import { floorEntries } from "./floor-entries.mjs";
import { memory } from "./memory.mjs";
import { postgresEntry } from "./postgres.mjs";
import { connections, wrapperOverhead } from "./redis.mjs";
import { scriptCosts } from "./script-costs.mjs";
import { semaphoreScenario } from "./semaphore.mjs";

export const SCENARIO_ENTRIES = [
  ...floorEntries(),
  {
    id: "script-costs",
    log: "1b. server cost of the scripts",
    title: () => "1b. Where the server time goes (redis-server CPU per request)",
    legend:
      "One connection, sequential, cases interleaved in rounds; `INFO cpu` deltas per request. The first rows are what the floor and SyncGuard send for one uncontended acquire + release. The `script: + …` rows run a one-command script on a new key; `added` is their cost over an empty script, i.e. what one such command costs inside a script.",
    columns: ["request", "server µs/request", "added µs"],
    row: (r) => [
      r.name,
      fmt(r.serverUsPerRequest, 1),
      r.addedOverEmptyScriptUs === undefined ? "" : fmt(r.addedOverEmptyScriptUs, 1),
    ],
    run: (ctx) =>
      scriptCosts({
        url: ctx.redis.url,
        admin: ctx.admin,
        rounds: ctx.Q ? 2 : 8,
        opsPerRound: ctx.Q ? 200 : 2_000,
        log: ctx.log,
      }),
  },
  {
    id: "wrapper",
    log: "4. lock(fn) wrapper overhead",
    title: () => "4. lock(fn) wrapper overhead over the backend calls it wraps",
    legend:
      "raw = `backend.acquire` + `backend.release`; wrapper = `lock(fn, { key })` on the same backend (100 rotating keys, one worker). overhead = wrapper time / raw time − 1. The target is judged on Redis; on the memory backend the calls themselves take a few µs, so the ratio mostly shows the wrapper's fixed cost in µs.",
    columns: [
      "backend",
      "raw µs/op",
      "lock() µs/op",
      "ratio",
      "overhead",
      "added µs/op",
      "raw CPU µs/op",
      "lock() CPU µs/op",
    ],
    row: (r) => [
      r.backend,
      fmt(r.rawUsPerOp),
      fmt(r.wrapperUsPerOp),
      fmtRatio(r.ratio),
      `${fmt(r.overheadPct, 1)} %`,
      fmt(r.addedUsPerOp),
      fmt(r.rawCpuUsPerOp),
      fmt(r.wrapperCpuUsPerOp),
    ],
    noFlush: true,
    run: (ctx) =>
      wrapperOverhead({
        url: ctx.redis.url,
        durationS: ctx.Q ? 0.4 : Math.min(ctx.D, 4),
        rounds: ctx.Q ? 4 : 10,
        log: ctx.log,
      }),
  },
  {
    id: "connections",
    log: "5. connections with many waiters",
    title: () => "5. Redis connections used by one SyncGuard client with many waiters on one key",
    legend:
      "`CLIENT LIST` count minus the bench's own, for one node-redis client + one backend: idle (connected, one lock held), while N lock() calls wait on the held key, and after they all got it in turn. req/acq = requests per acquisition while the waiters drain.",
    columns: [
      "waiters",
      "idle",
      "while waiting",
      "after drain",
      "acquired",
      "failed",
      "drain ms",
      "req/acq",
    ],
    row: (r) => [
      r.waiters,
      r.connectionsIdle,
      r.connectionsWhileWaiting,
      r.connectionsAfterDrain,
      r.acquired,
      r.failed,
      fmt(r.drainMs, 0),
      fmt(r.requestsPerAcq),
    ],
    noFlush: true,
    run: (ctx) =>
      connections({
        url: ctx.redis.url,
        admin: ctx.admin,
        waiterCounts: ctx.Q ? [1, 10] : [1, 10, 100],
        log: ctx.log,
      }),
  },
  {
    id: "firestore",
    needs: "firestore",
    log: "6. Firestore latency and contended key",
    title: () => "6. Firestore (emulator)",
    legend:
      "Latency per operation vs a raw `runTransaction(get + set)` on the same emulator (×floor = p50 / floor p50). `floor get` is a plain document read, for isLocked.",
    columns: ["operation", "n", "p50 ms", "p99 ms", "×floor txn"],
    rowsOf: (result) => result.latency,
    row: (r) => [r.op, r.n, fmt(r.p50), fmt(r.p99), fmtRatio(r.vsFloorP50)],
    noFlush: true,
    run: async (ctx) => {
      const { host, projectId } = ctx.firestore;
      const latency = await firestoreLatency({
        host,
        projectId,
        rounds: ctx.Q ? 1 : 5,
        perRound: ctx.Q ? 3 : 10,
        log: ctx.log,
      });
      const contended = await firestoreContended({
        host,
        projectId,
        workers: FIRESTORE_WORKERS,
        durationS: ctx.Q ? 2 : Math.max(ctx.D, 10),
        rounds: 1,
        log: ctx.log,
      });
      return { latency, contended };
    },
    notes: (result, ctx) => [
      `Contended key, ${FIRESTORE_WORKERS} workers (each its own Firestore client), ~1 ms critical section, one round per lock; raw = transactional get/set lock polling every 50 ms; gap = direct handoffs to another worker only. The emulator resolves transaction conflicts slowly (0.5-2.5 s each): these numbers describe the emulator more than Firestore.`,
      "",
      ctx.table(
        ["lock", "acq/s", "gap p50 ms", "gap p99 ms", "min/max", "failures"],
        result.contended.map((r) => [
          r.name,
          fmt(r.acqPerS, 1),
          fmt(r.gapP50),
          fmt(r.gapP99),
          fmt(r.minMaxShare),
          r.failures,
        ]),
      ),
      ...result.contended
        .filter((r) => Object.keys(r.errors).length)
        .map((r) => `- ${r.name} errors: ${errorSummary(r.errors)}`),
    ],
  },
  {
    id: "memory",
    log: "7. memory",
    title: () => "7. Memory: heap and RSS across lock(fn) cycles",
    legend:
      "Heap after forced GC, before and after the measured cycles (a warm-up ran first; 100 rotating keys). Growth per cycle < 1 byte = flat.",
    columns: [
      "backend",
      "cycles",
      "s",
      "heap before MB",
      "heap after MB",
      "RSS before MB",
      "RSS after MB",
      "heap growth B/cycle",
      "flat",
    ],
    row: (r) => [
      r.backend,
      fmtInt(r.cycles),
      fmt(r.seconds, 1),
      fmt(r.heapBeforeMB),
      fmt(r.heapAfterMB),
      fmt(r.rssBeforeMB, 1),
      fmt(r.rssAfterMB, 1),
      fmt(r.bytesPerCycle, 3),
      r.pass ? "PASS" : "MISS",
    ],
    run: (ctx) =>
      memory({
        url: ctx.redis.url,
        memoryCycles: ctx.Q ? 100_000 : 1_000_000,
        redisCycles: ctx.Q ? 5_000 : 100_000,
        log: ctx.log,
      }),
  },
  postgresEntry,
  {
    id: "semaphore",
    log: "9. semaphores",
    title: () => "9. Counting semaphores on Redis: 8 workers, 3 permits, one key",
    legend:
      "Each contender in its own process: 8 workers with a connection each take permits of one key (permits 3), hold each 1 ms, for the chunk's duration; interleaved rounds, the first contender rotated each round. ops/s = median over rounds of sections per second; ×sem = to redis-semaphore; fairness = fewest / most sections of one worker over the run; longest wait = the longest any worker waited for a permit; inside = the most holders seen at once (must be 3 or fewer).",
    columns: ["contender", "ops/s", "×sem", "fairness", "longest wait ms", "inside", "errors"],
    row: (r) => [
      r.name,
      fmtInt(r.opsPerSec),
      fmtRatio(r.vsSemaphore),
      fmt(r.fairness),
      fmtInt(r.longestWaitMs),
      String(r.mostInside),
      errorSummary(r.errors),
    ],
    run: (ctx) =>
      semaphoreScenario({
        url: ctx.redis.url,
        rounds: ctx.Q ? 1 : 5,
        ms: ctx.Q ? 500 : Math.max(1000, ctx.D * 1000),
        log: ctx.log,
      }),
  },
];

const FIRESTORE_WORKERS = 4;

export const SCENARIOS = SCENARIO_ENTRIES.map((entry) => entry.id);
