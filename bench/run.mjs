#!/usr/bin/env node
// SyncGuard benchmarks: `pnpm bench` (root) or `node bench/run.mjs [--quick] [--duration s]
// [--scenarios a,b] [--workers n]`. Starts its own redis-server and Firestore emulator on free
// loopback ports (scripts/services.mjs), runs the scenarios, prints markdown tables and a targets
// table, writes bench/results/<timestamp>.json and bench/results/latest.json, stops the services.
// Numbers never fail the process: targets are reported PASS/MISS.
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";

if (typeof globalThis.gc !== "function") {
  v8.setFlagsFromString("--expose-gc");
  globalThis.gc = vm.runInNewContext("gc");
}

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

const SCENARIOS = [
  "uncontended",
  "script-costs",
  "hotkey-equal",
  "hotkey-defaults",
  "pool",
  "wrapper",
  "connections",
  "firestore",
  "memory",
];
const ALIASES = { hotkey: ["hotkey-equal", "hotkey-defaults"], redis: SCENARIOS.slice(0, 6) };

const USAGE = `usage: node bench/run.mjs [--quick] [--duration <s>] [--scenarios a,b,c] [--workers <n>]
scenarios: ${SCENARIOS.join(", ")} (aliases: hotkey, redis)
  --quick      whole run under a minute (CI smoke check; numbers are not meaningful)
  --duration   seconds per contender per scenario (default 6; --quick 0.6)
  --workers    workers on the hot key and the key pool (default 8)`;

function parseArgs(argv) {
  const args = { quick: false, duration: undefined, scenarios: SCENARIOS, workers: 8 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === "--quick") args.quick = true;
    else if (a.startsWith("--duration")) args.duration = Number(value());
    else if (a.startsWith("--workers")) args.workers = Number(value());
    else if (a.startsWith("--scenarios")) {
      const names = value()
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
        .flatMap((s) => ALIASES[s] ?? [s]);
      const unknown = names.filter((n) => !SCENARIOS.includes(n));
      if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(", ")}\n${USAGE}`);
      args.scenarios = SCENARIOS.filter((s) => names.includes(s));
    } else if (a === "--help" || a === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  if (args.duration !== undefined && !(args.duration > 0)) {
    throw new Error(`--duration must be a positive number of seconds`);
  }
  if (!(Number.isInteger(args.workers) && args.workers >= 2 && args.workers <= 64)) {
    throw new Error("--workers must be an integer from 2 to 64");
  }
  args.duration ??= args.quick ? 0.6 : 6;
  return args;
}

// Uncaught errors from a peer library's timers must not end the run; they are reported.
const uncaught = [];
process.on("uncaughtException", (e) => uncaught.push(`uncaughtException: ${e?.stack ?? e}`));
process.on("unhandledRejection", (e) => uncaught.push(`unhandledRejection: ${e?.stack ?? e}`));

const out = (s = "") => process.stdout.write(`${s}\n`);
const t0 = Date.now();
const log = (s) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}\n`);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  process.env.METADATA_SERVER_DETECTION = "none";
  const started = Date.now();
  const { startRedis, startFirestore } = await import(
    path.join(root, "scripts", "services.mjs").replace(/\\/g, "/")
  );
  const [util, tools, contendersMod, redisSc, memorySc, firestoreSc, costsSc] = await Promise.all([
    import("./lib/util.mjs"),
    import("./lib/redis-tools.mjs"),
    import("./lib/contenders.mjs"),
    import("./scenarios/redis.mjs"),
    import("./scenarios/memory.mjs"),
    import("./scenarios/firestore.mjs"),
    import("./scenarios/script-costs.mjs"),
  ]);
  const { errorSummary, fmt, fmtInt, fmtRatio, table } = util;
  const needRedis = args.scenarios.some((s) => s !== "firestore");
  const needFirestore = args.scenarios.includes("firestore");

  log(
    `[bench] starting services (${[needRedis && "redis", needFirestore && "firestore"].filter(Boolean).join(", ")})`,
  );
  const [redis, firestore] = await Promise.all([
    needRedis ? startRedis() : null,
    needFirestore
      ? startFirestore({ projectId: "demo-syncguard-bench" }).catch((e) => {
          log(`[bench] Firestore emulator unavailable, skipping: ${e.message.split("\n")[0]}`);
          return null;
        })
      : null,
  ]);
  if (firestore) {
    process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
    process.env.GCLOUD_PROJECT = firestore.projectId;
  }
  const results = {
    meta: {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${os.type()} ${os.release()} ${os.arch()}`,
      cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`,
      args,
      note: "all workers of a scenario run in ONE Node process, each with its own client connection(s); redis-server and the emulator share the same cores",
    },
    scenarios: {},
    targets: [],
  };
  let admin;
  try {
    if (redis) {
      tools.installRequestCounter(redis.port);
      admin = await tools.createAdmin(redis.url);
    }
    const D = args.duration;
    const Q = args.quick;
    const { contenders, syncguardBackendCalls, rawIORedis } = contendersMod;
    const peers = contenders.filter((c) => c.name !== "raw" && c.name !== "syncguard");
    out(`# SyncGuard bench — ${results.meta.date}`);
    out();
    out(
      `Node ${process.version}, ${results.meta.cpus}, ${results.meta.platform}. ` +
        `${D} s per contender per scenario${Q ? " (--quick: smoke check, numbers not meaningful)" : ""}. ` +
        `Contenders run interleaved in short rounds. ${results.meta.note}.`,
    );
    out();
    out("Contenders:");
    for (const c of contenders) out(`- **${c.name}**: ${c.label} (${c.client}) — ${c.note}`);
    out();

    const section = (title, legend) => {
      out(`## ${title}`);
      out();
      if (legend) {
        out(legend);
        out();
      }
    };

    if (args.scenarios.includes("uncontended")) {
      log("[bench] 1. uncontended acquire+release");
      const rows = await redisSc.uncontended({
        url: redis.url,
        admin,
        contenders: [...contenders, syncguardBackendCalls, rawIORedis],
        durationS: D,
        rounds: Q ? 4 : 10,
        countOps: Q ? 50 : 500,
        log,
      });
      results.scenarios.uncontended = rows;
      await admin.flush();
      section(
        "1. Uncontended acquire + release (fresh key each op, one worker)",
        "ops/s and latency of one acquire+release pair; ×floor = throughput / raw floor's; round trips = requests the client sent per op (script-internal commands excluded); server cmds = `INFO commandstats` calls per op (script-internal included); CPU = client process CPU per op; server CPU = redis-server CPU per op (`INFO cpu`, includes the INFO calls at round edges). Two reference rows: `syncguard-backend` (the two backend calls without lock()) and `raw-ioredis` (the floor's commands through ioredis; the floor itself uses node-redis, like SyncGuard).",
      );
      out(
        table(
          [
            "contender",
            "ops/s",
            "×floor",
            "p50 ms",
            "p99 ms",
            "round trips/op",
            "server cmds/op",
            "CPU µs/op",
            "server CPU µs/op",
          ],
          rows.map((r) => [
            r.name,
            fmtInt(r.opsPerS),
            fmtRatio(r.vsFloor),
            fmt(r.p50, 3),
            fmt(r.p99, 3),
            fmt(r.roundTripsPerOp),
            fmt(r.serverCmdsPerOp),
            fmt(r.cpuUsPerOp, 0),
            fmt(r.serverCpuUsPerOp, 0),
          ]),
        ),
      );
      out();
    }

    if (args.scenarios.includes("script-costs")) {
      log("[bench] 1b. server cost of the scripts");
      const rows = await costsSc.scriptCosts({
        url: redis.url,
        admin,
        rounds: Q ? 2 : 8,
        opsPerRound: Q ? 200 : 2_000,
        log,
      });
      results.scenarios["script-costs"] = rows;
      await admin.flush();
      section(
        "1b. Where the server time goes (redis-server CPU per request)",
        "One connection, sequential, cases interleaved in rounds; `INFO cpu` deltas per request. The first rows are what the floor and SyncGuard send for one uncontended acquire + release. The `script: + …` rows run a one-command script on a new key; `added` is their cost over an empty script, i.e. what one such command costs inside a script.",
      );
      out(
        table(
          ["request", "server µs/request", "added µs"],
          rows.map((r) => [
            r.name,
            fmt(r.serverUsPerRequest, 1),
            r.addedOverEmptyScriptUs === undefined ? "" : fmt(r.addedOverEmptyScriptUs, 1),
          ]),
        ),
      );
      out();
    }

    for (const mode of ["equal", "defaults"]) {
      if (!args.scenarios.includes(`hotkey-${mode}`)) continue;
      log(`[bench] 2. hot key, ${mode} retry settings`);
      const rows = await redisSc.hotKey({
        url: redis.url,
        admin,
        contenders,
        durationS: Q ? Math.min(D, 1) : D,
        workers: args.workers,
        csMs: 1,
        mode,
        roundS: 3,
        log,
      });
      results.scenarios[`hotkey-${mode}`] = rows;
      await admin.flush();
      section(
        `2${mode === "equal" ? "a" : "b"}. Hot key, ${args.workers} workers, ${mode === "equal" ? "EQUAL retry settings (50 ms fixed delay, no jitter, 5 s / 100 retries)" : "each library's OWN DEFAULTS"}`,
        "Each worker (own connection, all in one process) loops lock → ~1 ms critical section → release. acq/s = acquisitions per second; gap = from a release to the next acquisition by a *different* worker, take-backs in between included (ms); direct = the same for handoffs that went straight to another worker (best case); take-back = share of handoffs where the releaser re-acquired; min/max = fewest/most acquisitions per worker; stalled = waits still pending > 2 s after a release; max free = longest the key sat free between holders (ms); req/acq = requests sent per acquisition (all attempts incl. failed); srv/acq = server commands per acquisition (script-internal included); failures = acquisitions that gave up (the worker loops on); overlaps = two holders at once (must be 0).",
      );
      out(
        table(
          [
            "contender",
            "acq/s",
            "gap p50",
            "gap p99",
            "direct p50",
            "take-back",
            "min/max",
            "stalled",
            "max free",
            "req/acq",
            "srv/acq",
            "failures",
            "overlaps",
          ],
          rows.map((r) => [
            r.name,
            fmt(r.acqPerS, 1),
            fmt(r.gapP50),
            fmt(r.gapP99),
            fmt(r.directGapP50),
            fmt(r.takeBackShare),
            fmt(r.minMaxShare),
            `${r.stalled}/${r.waits}`,
            fmt(r.maxFreeGapMs, 0),
            fmt(r.requestsPerAcq),
            fmt(r.serverCmdsPerAcq),
            r.failures,
            r.overlaps,
          ]),
        ),
      );
      out();
      for (const r of rows) {
        const errs = Object.entries(r.errors);
        if (errs.length) out(`- ${r.name} errors: ${errorSummary(r.errors)}`);
        if (r.hungRounds) out(`- ${r.name}: ${r.hungRounds} round(s) did not finish within 30 s`);
      }
      if (rows.some((r) => Object.keys(r.errors).length || r.hungRounds)) out();
      out(
        `Per-worker acquisitions: ${rows.map((r) => `${r.name} [${r.perWorker.join(", ")}]`).join("; ")}`,
      );
      out();
    }

    if (args.scenarios.includes("pool")) {
      log("[bench] 3. key pool");
      const rows = await redisSc.keyPool({
        url: redis.url,
        admin,
        contenders,
        durationS: D,
        rounds: Q ? 2 : 10,
        workers: args.workers,
        keys: 64,
        countS: Q ? 0.2 : 0.5,
        log,
      });
      results.scenarios.pool = rows;
      await admin.flush();
      section(
        `3. Key pool: ${args.workers} workers × 64 keys, random key per op, each library's defaults`,
        "ops/s = successful acquire+release per second (all workers); ×floor vs raw; latency of one acquire+release including any wait; req/op = requests sent per successful op.",
      );
      out(
        table(
          ["contender", "ops/s", "×floor", "p50 ms", "p99 ms", "failures", "req/op", "srv/op"],
          rows.map((r) => [
            r.name,
            fmtInt(r.opsPerS),
            fmtRatio(r.vsFloor),
            fmt(r.p50, 3),
            fmt(r.p99, 3),
            r.failures,
            fmt(r.requestsPerOp),
            fmt(r.serverCmdsPerOp),
          ]),
        ),
      );
      out();
    }

    if (args.scenarios.includes("wrapper")) {
      log("[bench] 4. lock(fn) wrapper overhead");
      const rows = await redisSc.wrapperOverhead({
        url: redis.url,
        durationS: Q ? 0.4 : Math.min(D, 4),
        rounds: Q ? 4 : 10,
        log,
      });
      results.scenarios.wrapper = rows;
      section(
        "4. lock(fn) wrapper overhead over the backend calls it wraps",
        "raw = `backend.acquire` + `backend.release`; wrapper = `lock(fn, { key })` on the same backend (100 rotating keys, one worker). overhead = wrapper time / raw time − 1. The target is judged on Redis; on the memory backend the calls themselves take a few µs, so the ratio mostly shows the wrapper's fixed cost in µs.",
      );
      out(
        table(
          [
            "backend",
            "raw µs/op",
            "lock() µs/op",
            "ratio",
            "overhead",
            "added µs/op",
            "raw CPU µs/op",
            "lock() CPU µs/op",
          ],
          rows.map((r) => [
            r.backend,
            fmt(r.rawUsPerOp),
            fmt(r.wrapperUsPerOp),
            fmtRatio(r.ratio),
            `${fmt(r.overheadPct, 1)} %`,
            fmt(r.addedUsPerOp),
            fmt(r.rawCpuUsPerOp),
            fmt(r.wrapperCpuUsPerOp),
          ]),
        ),
      );
      out();
    }

    if (args.scenarios.includes("connections")) {
      log("[bench] 5. connections with many waiters");
      const rows = await redisSc.connections({
        url: redis.url,
        admin,
        waiterCounts: Q ? [1, 10] : [1, 10, 100],
        log,
      });
      results.scenarios.connections = rows;
      section(
        "5. Redis connections used by one SyncGuard client with many waiters on one key",
        "`CLIENT LIST` count minus the bench's own, for one node-redis client + one backend: idle (connected, one lock held), while N lock() calls wait on the held key, and after they all got it in turn. req/acq = requests per acquisition while the waiters drain.",
      );
      out(
        table(
          [
            "waiters",
            "idle",
            "while waiting",
            "after drain",
            "acquired",
            "failed",
            "drain ms",
            "req/acq",
          ],
          rows.map((r) => [
            r.waiters,
            r.connectionsIdle,
            r.connectionsWhileWaiting,
            r.connectionsAfterDrain,
            r.acquired,
            r.failed,
            fmt(r.drainMs, 0),
            fmt(r.requestsPerAcq),
          ]),
        ),
      );
      out();
    }

    if (args.scenarios.includes("firestore")) {
      if (!firestore) {
        section("6. Firestore (emulator)", "skipped: the Firestore emulator could not be started.");
      } else {
        log("[bench] 6. Firestore latency");
        const lat = await firestoreSc.firestoreLatency({
          host: firestore.host,
          projectId: firestore.projectId,
          rounds: Q ? 1 : 5,
          perRound: Q ? 3 : 10,
          log,
        });
        log("[bench] 6. Firestore contended key");
        const fsWorkers = 4;
        const cont = await firestoreSc.firestoreContended({
          host: firestore.host,
          projectId: firestore.projectId,
          workers: fsWorkers,
          durationS: Q ? 2 : Math.max(D, 10),
          rounds: 1,
          log,
        });
        results.scenarios.firestore = { latency: lat, contended: cont };
        section(
          "6. Firestore (emulator)",
          "Latency per operation vs a raw `runTransaction(get + set)` on the same emulator (×floor = p50 / floor p50). `floor get` is a plain document read, for isLocked.",
        );
        out(
          table(
            ["operation", "n", "p50 ms", "p99 ms", "×floor txn"],
            lat.map((r) => [r.op, r.n, fmt(r.p50), fmt(r.p99), fmtRatio(r.vsFloorP50)]),
          ),
        );
        out();
        out(
          `Contended key, ${fsWorkers} workers (each its own Firestore client), ~1 ms critical section, one round per lock; raw = transactional get/set lock polling every 50 ms; gap = direct handoffs to another worker only. The emulator resolves transaction conflicts slowly (0.5-2.5 s each): these numbers describe the emulator more than Firestore.`,
        );
        out();
        out(
          table(
            ["lock", "acq/s", "gap p50 ms", "gap p99 ms", "min/max", "failures"],
            cont.map((r) => [
              r.name,
              fmt(r.acqPerS, 1),
              fmt(r.gapP50),
              fmt(r.gapP99),
              fmt(r.minMaxShare),
              r.failures,
            ]),
          ),
        );
        out();
        for (const r of cont) {
          const errs = Object.entries(r.errors);
          if (errs.length) out(`- ${r.name} errors: ${errorSummary(r.errors)}`);
        }
      }
    }

    if (args.scenarios.includes("memory")) {
      log("[bench] 7. memory");
      const rows = await memorySc.memory({
        url: redis.url,
        memoryCycles: Q ? 100_000 : 1_000_000,
        redisCycles: Q ? 5_000 : 100_000,
        log,
      });
      results.scenarios.memory = rows;
      await admin.flush();
      section(
        "7. Memory: heap and RSS across lock(fn) cycles",
        "Heap after forced GC, before and after the measured cycles (a warm-up ran first; 100 rotating keys). Growth per cycle < 1 byte = flat.",
      );
      out(
        table(
          [
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
          rows.map((r) => [
            r.backend,
            fmtInt(r.cycles),
            fmt(r.seconds, 1),
            fmt(r.heapBeforeMB),
            fmt(r.heapAfterMB),
            fmt(r.rssBeforeMB, 1),
            fmt(r.rssAfterMB, 1),
            fmt(r.bytesPerCycle, 3),
            r.pass ? "PASS" : "MISS",
          ]),
        ),
      );
      out();
    }

    results.targets = (await import("./lib/targets.mjs")).evaluateTargets(results.scenarios, peers);
    section(
      "Targets (issues 8 and 9)",
      "Checked on this run's numbers; a MISS never fails the process.",
    );
    out(
      table(
        ["target", "measured", "result"],
        results.targets.map((t) => [t.target, t.measured, t.result]),
      ),
    );
    out();
    if (uncaught.length) {
      results.uncaught = uncaught;
      out(`Uncaught errors during the run (from library timers): ${uncaught.length}`);
      for (const u of uncaught.slice(0, 5)) out(`- ${u.split("\n")[0]}`);
      out();
    }
  } finally {
    if (admin) await admin.close().catch(() => {});
    await Promise.all([redis?.stop(), firestore?.stop()]);
  }
  results.meta.seconds = (Date.now() - started) / 1000;
  const dir = path.join(here, "results");
  mkdirSync(dir, { recursive: true });
  const stamp = results.meta.date.replace(/[:.]/g, "-");
  const json = JSON.stringify(results, null, 2);
  writeFileSync(path.join(dir, `${stamp}.json`), json);
  writeFileSync(path.join(dir, "latest.json"), json);
  out(`Run took ${results.meta.seconds.toFixed(1)} s; results in bench/results/${stamp}.json`);
}

main().then(
  () => process.exit(0),
  (error) => {
    log(`[bench] failed: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
