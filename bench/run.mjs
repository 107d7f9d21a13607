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

const { SCENARIO_ENTRIES, SCENARIOS } = await import("./scenarios/registry.mjs");
const ALIASES = {
  floor: ["s1", "s2", "s3"],
  redis: ["s1", "s2", "s3", "script-costs", "wrapper", "connections"],
};

const USAGE = `usage: node bench/run.mjs [--quick] [--rounds <n>] [--duration <s>] [--scenarios a,b,c] [--workers <n>]
scenarios: ${SCENARIOS.join(", ")} (aliases: floor = s1,s2,s3; redis)
  --quick      a short smoke run (CI); numbers are not meaningful
  --rounds     interleaved rounds of s1-s3 (default 20, --quick 3)
  --duration   seconds per contender of the in-process scenarios (default 6; --quick 0.6)
  --workers    workers of the PostgreSQL hot key (default 8)`;

function parseArgs(argv) {
  const args = {
    quick: false,
    duration: undefined,
    rounds: undefined,
    scenarios: SCENARIOS,
    workers: 8,
  };
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
    else if (a.startsWith("--rounds")) args.rounds = Number(value());
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
  if (args.rounds !== undefined && !(Number.isInteger(args.rounds) && args.rounds >= 1)) {
    throw new Error("--rounds must be a positive integer");
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
  const { startRedis, startFirestore, startPostgres } = await import(
    path.join(root, "scripts", "services.mjs").replace(/\\/g, "/")
  );
  const [util, tools, { CONTENDERS }] = await Promise.all([
    import("./lib/util.mjs"),
    import("./lib/redis-tools.mjs"),
    import("./floor/contenders.mjs"),
  ]);
  const { table } = util;
  const needRedis = args.scenarios.some((s) => s !== "firestore" && s !== "postgres");
  const needFirestore = args.scenarios.includes("firestore");
  const needPostgres = args.scenarios.includes("postgres");

  log(
    `[bench] starting services (${[needRedis && "redis", needFirestore && "firestore", needPostgres && "postgres"].filter(Boolean).join(", ")})`,
  );
  const [redis, firestore, postgres] = await Promise.all([
    needRedis ? startRedis() : null,
    needFirestore
      ? startFirestore({ projectId: "demo-syncguard-bench" }).catch((e) => {
          log(`[bench] Firestore emulator unavailable, skipping: ${e.message.split("\n")[0]}`);
          return null;
        })
      : null,
    needPostgres
      ? startPostgres().catch((e) => {
          log(`[bench] PostgreSQL unavailable, skipping: ${e.message.split("\n")[0]}`);
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
      note: "s1-s3 run every contender in its own process (interleaved rounds); the other scenarios run in the bench's process; redis-server and the emulator share the same cores",
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
    out(`# SyncGuard bench — ${results.meta.date}`);
    out();
    out(
      `Node ${process.version}, ${results.meta.cpus}, ${results.meta.platform}` +
        `${Q ? " (--quick: smoke check, numbers not meaningful)" : ""}. ${results.meta.note}.`,
    );
    out();
    out("Contenders of s1-s3 (each in its own process):");
    for (const [name, c] of Object.entries(CONTENDERS)) out(`- **${name}**: ${c.label}`);
    out();

    const section = (title, legend) => {
      out(`## ${title}`);
      out();
      if (legend) {
        out(legend);
        out();
      }
    };

    const ctx = {
      redis,
      firestore,
      postgres,
      admin,
      D,
      Q,
      workers: args.workers,
      rounds: args.rounds,
      selected: args.scenarios,
      log,
      table,
    };
    for (const entry of SCENARIO_ENTRIES) {
      if (!args.scenarios.includes(entry.id)) continue;
      if (entry.needs === "firestore" && !firestore) {
        section(entry.title(ctx), "skipped: the Firestore emulator could not be started.");
        continue;
      }
      if (entry.needs === "postgres" && !postgres) {
        section(entry.title(ctx), "skipped: PostgreSQL could not be started.");
        continue;
      }
      log(`[bench] ${entry.log}`);
      const result = await entry.run(ctx);
      results.scenarios[entry.id] = result;
      if (!entry.noFlush) await admin?.flush();
      section(entry.title(ctx), entry.legend);
      out(table(entry.columns, (entry.rowsOf?.(result) ?? result).map(entry.row)));
      out();
      const notes = entry.notes?.(result, ctx) ?? [];
      for (const line of notes) out(line);
      if (notes.length) out();
    }

    results.targets = (await import("./lib/targets.mjs")).evaluateTargets(
      results.scenarios,
      ctx.floorResult,
    );
    if (ctx.floorResult) results.floor = ctx.floorResult;
    section("Targets", "Checked on this run's numbers; a FAIL never fails the process.");
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
    await Promise.all([redis?.stop(), firestore?.stop(), postgres?.stop()]);
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
