// One contender of the process-per-contender Redis bench, in its own process (forked by
// floor.mjs), so no other library's garbage or timers land in its numbers. It runs the chunks the
// coordinator asks for over IPC and keeps its latencies until asked for a report.
//   s1  sequential acquire + release of fresh keys
//   s2  N workers on one hot key, holding 0 ms (latency = the acquire's wait)
//   s3  N workers on a pool of keys, a random key per op (latency = acquire + release)
import { performance } from "node:perf_hooks";
import { CONTENDERS } from "./contenders.mjs";

const counter = { rt: 0 };
let impl;
let name;
let drainMs = 1000;
let chunkSeq = 0;
let rng = 0x9e3779b9;
let unhandled = 0;
let pendingStalls = 0;
/** Per scenario: latencies (µs) of recorded chunks, chunk results, hand-off gaps, stalls. */
const recorded = { s1: newRecord(), s2: newRecord(), s3: newRecord() };

function newRecord() {
  return { latencies: [], chunks: [], gaps: [], stalls: [], perWorker: [] };
}

function random() {
  // xorshift32, seeded by the contender's name: the same key sequence in every run.
  rng ^= rng << 13;
  rng >>>= 0;
  rng ^= rng >>> 17;
  rng ^= rng << 5;
  rng >>>= 0;
  return rng / 4294967296;
}

/** Every chunk has its own keys: nothing left from a chunk (a late waiter) touches the next. */
const keyPrefix = (scenario) => `floor:${name}:${scenario}:${++chunkSeq}:`;

/** Runs one chunk; measures its window, client CPU and requests. */
async function timed(scenario, record, body) {
  const rt0 = counter.rt;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const outcome = await body(record ? recorded[scenario].latencies : []);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const chunk = {
    ops: outcome.ops,
    windowMs: outcome.windowMs ?? wallMs,
    wallMs,
    cpuUs: cpu.user + cpu.system,
    requests: counter.rt - rt0,
    ...outcome.extra,
  };
  if (record) recorded[scenario].chunks.push(chunk);
  return chunk;
}

/** Waits for the loops, at most drainMs past the deadline; those still waiting are stalled. */
async function drain(loops, deadline) {
  let timer;
  const cap = new Promise((resolve) => {
    timer = setTimeout(() => resolve("cap"), Math.max(0, deadline + drainMs - performance.now()));
  });
  const how = await Promise.race([Promise.all(loops).then(() => "done"), cap]);
  clearTimeout(timer);
  return how;
}

async function s1(n, record) {
  return timed("s1", record, async (latencies) => {
    const prefix = keyPrefix("s1");
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const handle = await impl.acquire(prefix + i);
      await impl.release(handle);
      latencies.push((performance.now() - t0) * 1000);
    }
    return { ops: n };
  });
}

async function s2(ms, workers, record) {
  return timed("s2", record, async (latencies) => {
    const key = `${keyPrefix("s2")}hot`;
    const counts = new Array(workers).fill(0);
    const holds = []; // [acquired at, released at, worker], to measure hand-offs
    const deadline = performance.now() + ms;
    let open = true;
    let waiting = 0;
    const loop = async (worker) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        waiting++;
        const handle = await impl.acquire(key);
        waiting--;
        const acquiredAt = performance.now();
        if (open) latencies.push((acquiredAt - t0) * 1000);
        else recorded.s2.stalls.push((acquiredAt - t0) * 1000);
        await impl.release(handle);
        if (!open) {
          pendingStalls--;
          continue;
        }
        holds.push([acquiredAt, performance.now(), worker]);
        if (acquiredAt <= deadline) counts[worker]++;
      }
    };
    const how = await drain(
      counts.map((_, worker) => loop(worker)),
      deadline,
    );
    open = false;
    const stalled = how === "cap" ? waiting : 0;
    pendingStalls += stalled;
    holds.sort((a, b) => a[0] - b[0]);
    let takeBacks = 0;
    for (let i = 1; i < holds.length; i++) {
      if (record) recorded.s2.gaps.push((holds[i][0] - holds[i - 1][1]) * 1000);
      if (holds[i][2] === holds[i - 1][2]) takeBacks++;
    }
    if (record) recorded.s2.perWorker.push(counts);
    const ops = counts.reduce((a, b) => a + b, 0);
    return {
      ops,
      windowMs: ms,
      extra: { stalled, takeBacks, handoffs: Math.max(0, holds.length - 1) },
    };
  });
}

async function s3(ms, workers, pool, record) {
  return timed("s3", record, async (latencies) => {
    const prefix = keyPrefix("s3");
    const deadline = performance.now() + ms;
    let ops = 0;
    let open = true;
    let waiting = 0;
    const loop = async () => {
      while (performance.now() < deadline) {
        const key = prefix + Math.floor(random() * pool);
        const t0 = performance.now();
        waiting++;
        const handle = await impl.acquire(key);
        waiting--;
        if (!open) recorded.s3.stalls.push((performance.now() - t0) * 1000);
        await impl.release(handle);
        const t1 = performance.now();
        if (!open) {
          pendingStalls--;
          continue;
        }
        latencies.push((t1 - t0) * 1000);
        if (t1 <= deadline) ops++;
      }
    };
    const how = await drain(Array.from({ length: workers }, loop), deadline);
    open = false;
    const stalled = how === "cap" ? waiting : 0;
    pendingStalls += stalled;
    return { ops, windowMs: ms, extra: { stalled } };
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

function report() {
  const out = {};
  for (const [scenario, r] of Object.entries(recorded)) {
    if (r.chunks.length === 0) continue;
    const sorted = Float64Array.from(r.latencies).sort();
    const gaps = Float64Array.from(r.gaps).sort();
    out[scenario] = {
      chunks: r.chunks,
      latency: {
        p50: percentile(sorted, 0.5),
        p95: percentile(sorted, 0.95),
        p99: percentile(sorted, 0.99),
      },
      ...(scenario === "s2" ? { perWorker: r.perWorker, gapP50: percentile(gaps, 0.5) } : {}),
      stallsFinished: r.stalls.length,
    };
  }
  return { scenarios: out, pendingStalls, unhandled };
}

async function handle(message) {
  switch (message.cmd) {
    case "setup": {
      name = message.name;
      drainMs = message.drainMs;
      for (const ch of name) rng = (Math.imul(rng, 31) + ch.charCodeAt(0)) >>> 0;
      rng ||= 1;
      const contender = CONTENDERS[name];
      if (!contender) throw new Error(`unknown contender ${name}`);
      impl = await contender.create({ ...message.config, counter });
      return { ready: true };
    }
    case "s1":
      return s1(message.n, message.record);
    case "s2":
      return s2(message.ms, message.workers, message.record);
    case "s3":
      return s3(message.ms, message.workers, message.pool, message.record);
    case "report":
      return report();
    case "close":
      await impl?.close();
      return { closed: true };
    default:
      throw new Error(`unknown command ${message.cmd}`);
  }
}

process.on("message", async (message) => {
  let reply;
  try {
    reply = { id: message.id, ok: true, result: await handle(message) };
  } catch (error) {
    reply = { id: message.id, ok: false, error: String(error?.stack ?? error) };
  }
  process.send(reply, () => {
    if (message.cmd === "close") process.exit(0);
  });
});
process.on("disconnect", () => process.exit(0));
// A library timer that rejects late must not end the worker; it is counted.
process.on("unhandledRejection", () => {
  unhandled++;
});
