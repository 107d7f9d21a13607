// One PostgreSQL bench contender in a process of its own (forked by postgres.mjs, which runs the
// contenders' chunks interleaved): no contender's garbage collection, timers or event-loop work
// lands in another's numbers. Messages from the parent:
//   { cmd: "init", contender, url, schema, connections } -> { ok }
//   { cmd: "uncontended", ops, prefix, count }         -> one chunk of acquire+release on fresh keys
//   { cmd: "hotkey", ms, workers, key, count }         -> one chunk of workers on one hot key
//   { cmd: "close" }                                   -> { ok }, then the process exits
// Every reply carries the chunk's client CPU, the server CPU of the contender's own statement
// sessions (their /proc stat, where the server runs on this machine) and, for a chunk sent with
// `count` (a pass of its own, so timed chunks carry no parser), the statements and round trips
// the contender sent (a frontend-protocol parser on net.Socket#write).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { performance } from "node:perf_hooks";

const require = createRequire(import.meta.url);
const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// What the contender sends: frontend messages, parsed per socket. A statement is an Execute ('E')
// or a simple Query ('Q'); a round trip ends with a Sync ('S') or a simple Query. The first
// message of a connection (startup, SSL or cancel request) carries no type byte.

const sent = { statements: 0, roundTrips: 0 };
/** Off during timed chunks: counting is a pass of its own, so timed work carries no parser. */
let counting = false;
const parsers = new WeakMap();
const SSL_REQUEST = 80877103;

/** Reads written bytes message by message; `state` carries a header split across writes. */
function feed(state, buf) {
  let i = 0;
  while (i < buf.length) {
    if (state.skip > 0) {
      const k = Math.min(state.skip, buf.length - i);
      state.skip -= k;
      i += k;
      continue;
    }
    const headLength = state.started ? 5 : 8;
    const take = Math.min(headLength - state.head.length, buf.length - i);
    state.head = Buffer.concat([state.head, buf.subarray(i, i + take)]);
    i += take;
    if (state.head.length < headLength) continue;
    const head = state.head;
    state.head = Buffer.alloc(0);
    if (state.started) {
      const type = head[0];
      if (type === 0x45 /* E */ || type === 0x51 /* Q */) sent.statements++;
      if (type === 0x53 /* S */ || type === 0x51 /* Q */) sent.roundTrips++;
      state.skip = head.readInt32BE(1) - 4;
    } else {
      // Startup message: length, then a protocol code; SSL negotiation is followed by another.
      if (head.readInt32BE(4) !== SSL_REQUEST) state.started = true;
      state.skip = head.readInt32BE(0) - 8;
    }
  }
}

const write = net.Socket.prototype.write;
net.Socket.prototype.write = function countedWrite(chunk, ...rest) {
  let state = parsers.get(this);
  if (!state) {
    state = { started: false, unsynced: false, head: Buffer.alloc(0), skip: 0 };
    parsers.set(this, state);
  }
  if (Buffer.isBuffer(chunk) || chunk instanceof Uint8Array) {
    if (!counting) state.unsynced = true;
    else {
      // Both clients write whole messages per call: after uncounted writes, start afresh.
      if (state.unsynced) {
        Object.assign(state, { unsynced: false, started: true, head: Buffer.alloc(0), skip: 0 });
      }
      feed(state, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
  }
  return write.call(this, chunk, ...rest);
};

// ---------------------------------------------------------------------------------------------
// Server CPU of this contender's sessions: utime + stime of each backend process.

const sessions = new Set();
const TICK_US = 1e6 / 100;
function serverCpuUs() {
  let total = 0;
  for (const pid of sessions) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      total += (Number(fields[11]) + Number(fields[12])) * TICK_US;
    } catch {
      // not on this machine, or gone: counted as nothing
    }
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Contenders.

const { Pool } = require("pg");
const postgres = require("postgres");
const { createPostgresBackend } = require("@syncguard/postgres");
const { createLock } = require("@syncguard/core");

function pgPool(url, max) {
  const pool = new Pool({ connectionString: url, max });
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    if (client.processID) sessions.add(client.processID);
  });
  return { client: pool, end: () => pool.end() };
}

function postgresJs(url, max) {
  const sql = postgres(url, { max, onnotice: () => {} });
  return { client: sql, end: () => sql.end() };
}

/** postgres.js hides its sessions' pids: ask each of its connections once, all at once. */
async function noteSessions(client, library, max) {
  if (library !== "postgres.js") return;
  const rows = await Promise.all(
    Array.from({ length: max }, () =>
      client.unsafe("SELECT pg_backend_pid() AS pid, pg_sleep(0.05)"),
    ),
  );
  for (const [row] of rows) sessions.add(row.pid);
}

const floorSql = (schema) => ({
  insert: `INSERT INTO "${schema}".raw_locks (name, owner, expires_at) VALUES ($1, $2, now() + interval '30 s') ON CONFLICT DO NOTHING`,
  delete: `DELETE FROM "${schema}".raw_locks WHERE name = $1 AND owner = $2`,
  // The fenced floor: the same, with a fence drawn from one of 4096 counters in a table of its own.
  fencedInsert: `WITH f AS (UPDATE "${schema}".raw_fences SET fence = fence + 1 WHERE route = $3 RETURNING fence)
INSERT INTO "${schema}".raw_fenced_locks (name, owner, expires_at, fence)
SELECT $1, $2, now() + interval '30 s', f.fence FROM f ON CONFLICT DO NOTHING`,
  fencedDelete: `DELETE FROM "${schema}".raw_fenced_locks WHERE name = $1 AND owner = $2`,
  poll: `INSERT INTO "${schema}".raw_locks AS l (name, owner, expires_at)
VALUES ($1, $2, clock_timestamp() + interval '30 s')
ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE l.expires_at < clock_timestamp()`,
});

/** Runs one prepared statement on either client; resolves to the affected row count. */
function runner(library, client) {
  if (library === "pg") {
    return async (name, text, values) => (await client.query({ name, text, values })).rowCount;
  }
  return async (_name, text, values) =>
    (await client.unsafe(text, values, { prepare: true })).count;
}

/**
 * contender -> { library, kind }: kind "floor" (a prepared INSERT ... ON CONFLICT DO NOTHING and
 * a prepared DELETE: the least a table lock does), "fenced" (the same drawing a fence from a
 * counter table: the least a fenced table lock does), "syncguard" (backend.acquire + release),
 * "poll" (a table lock that polls every 50 ms: the hot-key floor), "lock" (SyncGuard lock()).
 */
const CONTENDERS = {
  "floor (pg)": { library: "pg", kind: "floor" },
  "fenced floor (pg)": { library: "pg", kind: "fenced" },
  "syncguard (pg)": { library: "pg", kind: "syncguard" },
  "floor (postgres.js)": { library: "postgres.js", kind: "floor" },
  "fenced floor (postgres.js)": { library: "postgres.js", kind: "fenced" },
  "syncguard (postgres.js)": { library: "postgres.js", kind: "syncguard" },
  "polling table lock (pg)": { library: "pg", kind: "poll" },
  "syncguard lock() (pg)": { library: "pg", kind: "lock" },
  "syncguard lock() (postgres.js)": { library: "postgres.js", kind: "lock" },
};

let setup;

/**
 * One client per contender process, shared by all its workers, as an application shares its
 * pool (and as the Redis anchor bench does): `connections` statement connections, and for
 * SyncGuard one backend, hence one listening connection.
 */
async function init({ contender, url, schema, connections }) {
  const spec = CONTENDERS[contender];
  if (!spec) throw new Error(`unknown contender ${contender}`);
  const { library, kind } = spec;
  const connection = library === "pg" ? pgPool(url, connections) : postgresJs(url, connections);
  setup = { ...spec, schema, sql: floorSql(schema), ...connection };
  setup.run = runner(library, connection.client);
  if (kind === "syncguard" || kind === "lock") {
    setup.backend = createPostgresBackend(connection.client, { schema });
    setup.lock = createLock(setup.backend);
  }
  // Connect (and prepare) before anything is measured.
  await Promise.all(
    Array.from({ length: connections }, () => setup.run("bench_warm", "SELECT 1", [])),
  );
  await noteSessions(connection.client, library, connections);
}

// ---------------------------------------------------------------------------------------------

function measured(fn) {
  return async (message) => {
    counting = message.count === true;
    const before = { ...sent };
    const cpu0 = process.cpuUsage();
    const server0 = serverCpuUs();
    const t0 = now();
    const result = await fn(message);
    const cpu = process.cpuUsage(cpu0);
    counting = false;
    return {
      ...result,
      wallMs: now() - t0,
      statements: sent.statements - before.statements,
      roundTrips: sent.roundTrips - before.roundTrips,
      clientCpuUs: cpu.user + cpu.system,
      serverCpuUs: serverCpuUs() - server0,
    };
  };
}

/** `ops` acquire+release cycles on fresh keys, one after the other; latency of each in µs. */
const uncontended = measured(async ({ ops, prefix }) => {
  const { kind, sql } = setup;
  const latencies = new Float64Array(ops);
  for (let i = 0; i < ops; i++) {
    const key = `${prefix}${i}`;
    const t0 = now();
    if (kind === "floor") {
      if ((await setup.run("bench_floor_insert", sql.insert, [key, "x"])) !== 1) {
        throw new Error(`floor insert of a fresh key wrote nothing: ${key}`);
      }
      await setup.run("bench_floor_delete", sql.delete, [key, "x"]);
    } else if (kind === "fenced") {
      if ((await setup.run("bench_fenced_insert", sql.fencedInsert, [key, "x", i % 4096])) !== 1) {
        throw new Error(`fenced floor insert of a fresh key wrote nothing: ${key}`);
      }
      await setup.run("bench_fenced_delete", sql.fencedDelete, [key, "x"]);
    } else {
      const got = await setup.backend.acquire({ key, ttlMs: 30_000 });
      if (!got.ok) throw new Error(`acquire of a fresh key failed: ${key}`);
      const released = await setup.backend.release({ lockId: got.lockId });
      if (!released.ok) throw new Error(`release failed: ${key}`);
    }
    latencies[i] = (now() - t0) * 1000;
  }
  return { ops, latencies: Array.from(latencies) };
});

/** A table lock that polls every 50 ms; release deletes its own row. */
async function withPollingLock(owner, key, fn, stopAt) {
  const { sql } = setup;
  for (;;) {
    if ((await setup.run("bench_poll", sql.poll, [key, owner])) === 1) break;
    if (now() >= stopAt) throw new Error("round ended");
    await sleep(50);
  }
  try {
    return await fn();
  } finally {
    await setup.run("bench_floor_delete", sql.delete, [key, owner]);
  }
}

/**
 * `workers` loops of lock -> ~1 ms critical section -> release on one key for `ms`, sharing the
 * process's client. Waits still running at the end are aborted (SyncGuard) or stop polling (the
 * raw lock).
 */
const hotkey = measured(async ({ ms, workers, key }) => {
  const { kind } = setup;
  const start = now();
  const stopAt = start + ms;
  const perWorker = new Array(workers).fill(0);
  const acquisitions = []; // [acquiredAt, releasedAt, worker]
  const waits = []; // [startedAt, endedAt]
  const errors = {};
  let failures = 0;
  let holder = -1;
  let overlaps = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const owner = `w${w}-${process.pid}`;
      while (now() < stopAt) {
        const waitStart = now();
        let acquiredAt = 0;
        const section = async () => {
          acquiredAt = now();
          waits.push([waitStart, acquiredAt]);
          if (holder !== -1) overlaps++;
          holder = w;
          await sleep(1);
          holder = -1;
          return now();
        };
        // Ends the wait with the chunk: an abort of this signal is the end, not a failure.
        const roundEnd = AbortSignal.timeout(Math.max(1, Math.ceil(stopAt - now())));
        try {
          const releasedAt =
            kind === "poll"
              ? await withPollingLock(owner, key, section, stopAt)
              : await setup.lock(section, {
                  key,
                  timeoutMs: 10_000,
                  signal: roundEnd,
                });
          if (acquiredAt <= stopAt) {
            perWorker[w]++;
            acquisitions.push([acquiredAt, releasedAt, w]);
          }
        } catch (error) {
          if (now() >= stopAt || roundEnd.aborted) {
            if (!acquiredAt) waits.push([waitStart, undefined]);
            break;
          }
          failures++;
          const message = `${error?.code ? `${error.code}: ` : ""}${String(error?.message ?? error)
            .replace(/\d+(\.\d+)?/g, "N")
            .slice(0, 140)}`;
          errors[message] = (errors[message] ?? 0) + 1;
          await sleep(1);
        }
      }
    }),
  );
  const end = now();
  acquisitions.sort((a, b) => a[0] - b[0]);
  const gaps = [];
  let takeBacks = 0;
  for (let i = 1; i < acquisitions.length; i++) {
    if (acquisitions[i][2] === acquisitions[i - 1][2]) takeBacks++;
    else gaps.push(acquisitions[i][0] - acquisitions[i - 1][1]);
  }
  // A wait is stalled when it still waited more than 1 s after a release made during it.
  const releases = acquisitions.map((a) => a[1]).sort((a, b) => a - b);
  let stalled = 0;
  for (const [from, to] of waits) {
    let lo = 0;
    let hi = releases.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (releases[mid] < from) lo = mid + 1;
      else hi = mid;
    }
    if (lo < releases.length && (to ?? end) - releases[lo] > 1_000) stalled++;
  }
  return {
    windowMs: ms,
    acquisitions: acquisitions.length,
    perWorker,
    gaps,
    takeBacks,
    handoffs: Math.max(0, acquisitions.length - 1),
    waits: waits.length,
    stalled,
    overlaps,
    failures,
    errors,
  };
});

async function close() {
  await setup?.backend?.close();
  await setup?.end();
}

const handlers = { init, uncontended, hotkey, close };
process.on("message", async (message) => {
  try {
    const result = await handlers[message.cmd](message);
    process.send({ ok: true, result });
    if (message.cmd === "close") process.exit(0);
  } catch (error) {
    process.send({ ok: false, error: String(error?.stack ?? error) });
  }
});
