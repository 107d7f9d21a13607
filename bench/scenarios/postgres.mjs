// Scenario 8, PostgreSQL (issue 31). Every contender runs in a process of its own
// (postgres-contender.mjs), and the contenders' chunks run interleaved, one contender at a time,
// the order rotated every round, so machine noise hits all alike:
// - uncontended: acquire + release of a fresh key, one after the other, on one connection:
//   SyncGuard's backend calls against the floor on the same client (a prepared
//   `INSERT ... ON CONFLICT DO NOTHING` + a prepared `DELETE`), on pg and on postgres.js;
// - hot key: workers (each with its own client) loop lock -> ~1 ms section -> release on one key:
//   SyncGuard lock() (wake-ups and the wait queue) against a table lock that polls every 50 ms.
// Statements and round trips are counted in a pass of their own (the timed chunks carry no
// instrumentation), WAL bytes from pg_current_wal_lsn() around it.
import { fork } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { errorSummary, fmt, fmtRatio, percentiles, rotate } from "../lib/util.mjs";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const SCHEMA = "bench_pg";

const UNCONTENDED = [
  "floor (pg)",
  "fenced floor (pg)",
  "syncguard (pg)",
  "floor (postgres.js)",
  "fenced floor (postgres.js)",
  "syncguard (postgres.js)",
];
const HOT_KEY = [
  "polling table lock (pg)",
  "syncguard lock() (pg)",
  "syncguard lock() (postgres.js)",
];

/** A contender's process: `ask(message)` resolves with its reply's result. */
function spawnContender(name, url, log, connections) {
  const child = fork(path.join(here, "postgres-contender.mjs"), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    serialization: "advanced",
  });
  let pending;
  child.on("message", (reply) => {
    const settle = pending;
    pending = undefined;
    if (!settle) return;
    if (reply.ok) settle.resolve(reply.result);
    else settle.reject(new Error(`${name}: ${reply.error}`));
  });
  child.on("exit", (code) => {
    pending?.reject(new Error(`${name}: the contender's process exited (${code})`));
    pending = undefined;
  });
  const ask = (message) =>
    new Promise((resolve, reject) => {
      pending = { resolve, reject };
      child.send(message);
    });
  return {
    name,
    ask,
    init: () => ask({ cmd: "init", contender: name, url, schema: SCHEMA, connections }),
    async close() {
      await ask({ cmd: "close" }).catch((error) => log(`  ${error.message}`));
    },
  };
}

async function withAdmin(url, fn) {
  const { Pool } = require("pg");
  const pool = new Pool({ connectionString: url, max: 1 });
  pool.on("error", () => {});
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}

async function setup(admin) {
  const { setupSchema } = require("@syncguard/postgres");
  await setupSchema(admin, { schema: SCHEMA });
  await admin.query(
    `CREATE TABLE IF NOT EXISTS "${SCHEMA}".raw_locks (name text PRIMARY KEY, owner text NOT NULL, expires_at timestamptz NOT NULL)`,
  );
  await admin.query(
    `CREATE TABLE IF NOT EXISTS "${SCHEMA}".raw_fenced_locks (name text PRIMARY KEY, owner text NOT NULL, expires_at timestamptz NOT NULL, fence bigint NOT NULL)`,
  );
  await admin.query(
    `CREATE TABLE IF NOT EXISTS "${SCHEMA}".raw_fences (route smallint PRIMARY KEY, fence bigint NOT NULL) WITH (fillfactor = 50)`,
  );
  await admin.query(
    `INSERT INTO "${SCHEMA}".raw_fences SELECT g, 0 FROM generate_series(0, 4095) g ON CONFLICT DO NOTHING`,
  );
}

const walLsn = async (admin) =>
  (await admin.query("SELECT pg_current_wal_insert_lsn()::text AS lsn")).rows[0].lsn;
const walBytes = async (admin, from) =>
  Number(
    (
      await admin.query("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn) AS d", [
        from,
      ])
    ).rows[0].d,
  );

const median = (values) => percentiles(values, [50]).p50;
/** "syncguard lock() (pg)" -> "pg" */
const libraryOf = (name) => name.slice(name.lastIndexOf("(") + 1, -1);

/** Runs `contenders` with `chunk(contender, round)` interleaved over `rounds`, after warm-up and a counting pass. */
async function interleaved({ names, url, log, admin, rounds, chunk, label, connections }) {
  const contenders = names.map((name) => spawnContender(name, url, log, connections));
  try {
    await Promise.all(contenders.map((c) => c.init()));
    const counts = new Map();
    const timed = new Map(names.map((n) => [n, []]));
    for (const c of contenders) await c.ask(chunk(c.name, "warm", false));
    // The counting pass: statements, round trips and WAL bytes, one contender at a time.
    for (const c of contenders) {
      const from = await walLsn(admin);
      const result = await c.ask(chunk(c.name, "count", true));
      counts.set(c.name, { ...result, walBytes: await walBytes(admin, from) });
    }
    for (let r = 0; r < rounds; r++) {
      for (const c of rotate(contenders, r))
        timed.get(c.name).push(await c.ask(chunk(c.name, r, false)));
      log(`  ${label} round ${r + 1}/${rounds}`);
    }
    return { counts, timed };
  } finally {
    await Promise.all(contenders.map((c) => c.close()));
  }
}

async function uncontended({ url, log, admin, rounds, ops }) {
  const { counts, timed } = await interleaved({
    names: UNCONTENDED,
    url,
    log,
    admin,
    rounds,
    connections: 1,
    label: "uncontended",
    chunk: (name, round, count) => ({
      cmd: "uncontended",
      ops,
      count,
      prefix: `u:${name}:${round}:${Date.now()}:`,
    }),
  });
  const rows = UNCONTENDED.map((name) => {
    const chunks = timed.get(name);
    const latencies = chunks.flatMap((c) => c.latencies);
    const totalOps = chunks.reduce((a, c) => a + c.ops, 0);
    const wallMs = chunks.reduce((a, c) => a + c.wallMs, 0);
    const counted = counts.get(name);
    return {
      name,
      ops: totalOps,
      opsPerS: totalOps / (wallMs / 1000),
      roundOpsPerS: chunks.map((c) => c.ops / (c.wallMs / 1000)),
      ...percentiles(latencies, [50, 99]),
      statementsPerOp: counted.statements / counted.ops,
      roundTripsPerOp: counted.roundTrips / counted.ops,
      walBytesPerOp: counted.walBytes / counted.ops,
      clientCpuUs: chunks.reduce((a, c) => a + c.clientCpuUs, 0) / totalOps,
      serverCpuUs: chunks.reduce((a, c) => a + c.serverCpuUs, 0) / totalOps,
    };
  });
  // Each row against the floor (and the fenced floor) on its own client: throughput paired per
  // round, p50 over the floor's.
  for (const row of rows) {
    const floor = rows.find((r) => r.name === `floor (${libraryOf(row.name)})`);
    const fenced = rows.find((r) => r.name === `fenced floor (${libraryOf(row.name)})`);
    row.vsFloor = median(row.roundOpsPerS.map((v, i) => v / floor.roundOpsPerS[i]));
    row.p50VsFloor = row.p50 / floor.p50;
    row.vsFenced = median(row.roundOpsPerS.map((v, i) => v / fenced.roundOpsPerS[i]));
    row.p50VsFenced = row.p50 / fenced.p50;
  }
  return rows;
}

async function hotKey({ url, log, admin, rounds, chunkMs, workers }) {
  const { counts, timed } = await interleaved({
    names: HOT_KEY,
    url,
    log,
    admin,
    rounds,
    connections: workers,
    label: "hot key",
    chunk: (name, round, count) => ({
      cmd: "hotkey",
      ms: round === "warm" ? Math.min(chunkMs, 500) : chunkMs,
      workers,
      count,
      key: `hot:${name}:${round}:${Date.now()}`,
    }),
  });
  const rows = HOT_KEY.map((name) => {
    const chunks = timed.get(name);
    const sum = (field) => chunks.reduce((a, c) => a + c[field], 0);
    const perWorker = new Array(workers).fill(0);
    for (const c of chunks) {
      for (const [w, n] of c.perWorker.entries()) perWorker[w] += n;
    }
    const errors = {};
    for (const c of chunks)
      for (const [m, n] of Object.entries(c.errors)) errors[m] = (errors[m] ?? 0) + n;
    const gaps = percentiles(
      chunks.flatMap((c) => c.gaps),
      [50, 99],
    );
    const counted = counts.get(name);
    return {
      name,
      acquisitions: sum("acquisitions"),
      acqPerS: sum("acquisitions") / (sum("windowMs") / 1000),
      roundAcqPerS: chunks.map((c) => c.acquisitions / (c.windowMs / 1000)),
      gapP50: gaps.p50,
      gapP99: gaps.p99,
      takeBackShare: sum("takeBacks") / Math.max(1, sum("handoffs")),
      minMaxShare:
        Math.max(...perWorker) > 0 ? Math.min(...perWorker) / Math.max(...perWorker) : Number.NaN,
      perWorker,
      stalled: sum("stalled"),
      waits: sum("waits"),
      overlaps: sum("overlaps"),
      failures: sum("failures"),
      errors,
      statementsPerAcq: counted.statements / Math.max(1, counted.acquisitions),
      roundTripsPerAcq: counted.roundTrips / Math.max(1, counted.acquisitions),
      serverCpuUsPerAcq: sum("serverCpuUs") / Math.max(1, sum("acquisitions")),
    };
  });
  const polling = rows.find((r) => r.name.startsWith("polling"));
  for (const row of rows) {
    row.vsPolling = median(row.roundAcqPerS.map((v, i) => v / polling.roundAcqPerS[i]));
  }
  return rows;
}

/** The targets of issue 31, judged on this run's numbers. */
export function postgresTargets({ uncontended: u, hotKey: h }) {
  const targets = [];
  const add = (target, measured, ok) =>
    targets.push({ target, measured, result: ok === undefined ? "info" : ok ? "PASS" : "FAIL" });
  for (const library of ["pg", "postgres.js"]) {
    const sg = u.find((r) => r.name === `syncguard (${library})`);
    add(
      `PostgreSQL uncontended, ${library}: p50 acquire+release ≤ 1.3× the floor's (#31)`,
      `${fmt(sg.p50 / 1000, 3)} ms, ${fmtRatio(sg.p50VsFloor)} floor`,
      sg.p50VsFloor <= 1.3,
    );
    add(
      `PostgreSQL uncontended, ${library}: throughput ≥ 0.8× the floor's (#31)`,
      `${fmtRatio(sg.vsFloor)} floor (paired per round)`,
      sg.vsFloor >= 0.8,
    );
    add(
      `PostgreSQL uncontended, ${library}: against the fenced floor (info)`,
      `p50 ${fmtRatio(sg.p50VsFenced)}, throughput ${fmtRatio(sg.vsFenced)} the fenced floor's`,
      undefined,
    );
    add(
      `PostgreSQL uncontended, ${library}: one statement per operation (#31)`,
      `${fmt(sg.statementsPerOp)} statements, ${fmt(sg.roundTripsPerOp)} round trips per acquire+release`,
      Math.abs(sg.statementsPerOp - 2) < 1e-9 && Math.abs(sg.roundTripsPerOp - 2) < 1e-9,
    );
  }
  for (const row of h.filter((r) => r.name.startsWith("syncguard"))) {
    const library = libraryOf(row.name);
    add(
      `PostgreSQL hot key, ${library}: min/max share ≥ 0.9, 0 stalled waits (#31)`,
      `min/max ${fmt(row.minMaxShare)} [${row.perWorker.join(", ")}], ${row.stalled} stalled of ${row.waits}`,
      row.minMaxShare >= 0.9 && row.stalled === 0,
    );
    add(
      `PostgreSQL hot key, ${library}: take-backs ≤ 0.1 (#31)`,
      fmt(row.takeBackShare),
      row.takeBackShare <= 0.1,
    );
    add(
      `PostgreSQL hot key, ${library}: acquisitions/s ≥ 0.8× the polling table lock's (#31)`,
      `${fmt(row.acqPerS, 1)}/s, ${fmtRatio(row.vsPolling)} polling (paired per round)`,
      row.vsPolling >= 0.8,
    );
    add(
      `PostgreSQL hot key, ${library}: never two holders`,
      `${row.overlaps} overlaps`,
      row.overlaps === 0,
    );
  }
  return targets;
}

/** The whole scenario: both parts, then the targets. */
export async function postgresScenario({ url, log, quick, workers }) {
  return withAdmin(url, async (admin) => {
    await setup(admin);
    const u = await uncontended({
      url,
      log,
      admin,
      rounds: quick ? 2 : 10,
      ops: quick ? 100 : 400,
    });
    const h = await hotKey({
      url,
      log,
      admin,
      rounds: quick ? 2 : 10,
      chunkMs: quick ? 500 : 1_500,
      workers,
    });
    const result = { uncontended: u, hotKey: h };
    return { ...result, targets: postgresTargets(result) };
  });
}

/** What each statement costs, for the notes (see specs/postgres-backend.md §8). */
const STATEMENT_COSTS = [
  "Per uncontended cycle, SyncGuard sends 2 statements (2 round trips), like the floor:",
  "- acquire: reads the key's row (primary key), bumps its route's fence counter (one HOT update of a 4096-row table), upserts the lock row (two index entries: name, lock_id), reads the database clock once; answers one row of three columns;",
  "- release: deletes the row through the lock_id index; the queue parts run only for a lock an attempt was turned away from (then: pop the queue's head, write the reservation row, NOTIFY).",
  "The floor writes one row of one index and deletes it. The difference per cycle is the fence counter's update and the second index entry (WAL bytes/op), and the statement's plan (server CPU µs/op).",
];

export const postgresEntry = {
  id: "postgres",
  needs: "postgres",
  log: "8. PostgreSQL uncontended and hot key (each contender in its own process)",
  title: () => "8. PostgreSQL",
  legend:
    "Each contender runs in a process of its own; chunks interleaved, one contender at a time, order rotated every round. Uncontended: acquire + release of a fresh key, sequential, one connection; floor = a prepared `INSERT ... ON CONFLICT DO NOTHING` + a prepared `DELETE` on the same client; fenced floor = the same insert drawing its fence from one of 4096 counters in a table of their own (`WITH f AS (UPDATE ... RETURNING fence) INSERT ...`), the least a fenced table lock does in two statements. ×floor = throughput over the floor's on the same client (median of per-round ratios); p50 ×floor = p50 over the floor's. Statements, round trips and WAL bytes per op from a counting pass of their own; client CPU = the contender's process, server CPU = its statement session (/proc).",
  columns: [
    "contender",
    "ops/s",
    "×floor",
    "p50 ms",
    "p99 ms",
    "p50 ×floor",
    "statements/op",
    "round trips/op",
    "WAL B/op",
    "client CPU µs/op",
    "server CPU µs/op",
  ],
  rowsOf: (result) => result.uncontended,
  row: (r) => [
    r.name,
    fmt(r.opsPerS, 0),
    fmtRatio(r.vsFloor),
    fmt(r.p50 / 1000, 3),
    fmt(r.p99 / 1000, 3),
    fmtRatio(r.p50VsFloor),
    fmt(r.statementsPerOp),
    fmt(r.roundTripsPerOp),
    fmt(r.walBytesPerOp, 0),
    fmt(r.clientCpuUs, 0),
    fmt(r.serverCpuUs, 0),
  ],
  noFlush: true,
  run: (ctx) =>
    postgresScenario({ url: ctx.postgres.url, log: ctx.log, quick: ctx.Q, workers: ctx.workers }),
  notes: (result, ctx) => [
    ...STATEMENT_COSTS,
    "",
    `Hot key: ${ctx.workers} workers per contender sharing its client (as an application shares its pool; SyncGuard: one backend, one listening connection), ~1 ms critical section, key fresh per chunk. ×polling = acquisitions/s over the polling lock's (median of per-round ratios); gap = release to the next acquisition by another worker (ms); take-backs = share of hand-offs to the worker that released; min/max = fewest/most acquisitions per worker; stalled = waits still waiting 1 s after a release made during them; statements/acq = all statements sent (failed attempts, LISTEN and withdrawals included) per acquisition.`,
    "",
    ctx.table(
      [
        "contender",
        "acq/s",
        "×polling",
        "gap p50 ms",
        "gap p99 ms",
        "take-backs",
        "min/max",
        "stalled",
        "statements/acq",
        "failures",
        "overlaps",
      ],
      result.hotKey.map((r) => [
        r.name,
        fmt(r.acqPerS, 1),
        fmtRatio(r.vsPolling),
        fmt(r.gapP50),
        fmt(r.gapP99),
        fmt(r.takeBackShare),
        fmt(r.minMaxShare),
        `${r.stalled}/${r.waits}`,
        fmt(r.statementsPerAcq),
        r.failures,
        r.overlaps,
      ]),
    ),
    "",
    `Per-worker acquisitions: ${result.hotKey.map((r) => `${r.name} [${r.perWorker.join(", ")}]`).join("; ")}`,
    ...result.hotKey
      .filter((r) => Object.keys(r.errors).length)
      .map((r) => `- ${r.name} errors: ${errorSummary(r.errors)}`),
    "",
    "Targets (issue 31):",
    "",
    ctx.table(
      ["target", "measured", "result"],
      result.targets.map((t) => [t.target, t.measured, t.result]),
    ),
  ],
};
