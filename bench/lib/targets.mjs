// The performance targets, checked against one run's numbers: issue 27's (s1-s3, every contender
// in its own process) first, then those of issues 8 and 9 that other scenarios still measure.
// Never throws on a miss: each target is PASS, FAIL or n/a (its scenario did not run).
import { fmt } from "./util.mjs";

const PASS = "PASS";
const FAIL = "FAIL";
const NA = "n/a (not run)";

export function evaluateTargets(s, floor) {
  const t = [];
  const add = (target, measured, ok) =>
    t.push({ target, measured, result: ok === undefined ? NA : ok ? PASS : FAIL });
  const rows = (scenario) => floor?.results?.[scenario];
  const row = (scenario, name) => rows(scenario)?.[name];
  const ratio = (x) => `${fmt(x)}×`;

  // s1: uncontended
  const lockNode = row("s1", "syncguard-lock");
  const lockIo = row("s1", "syncguard-ioredis");
  const rawNode = row("s1", "raw-node-redis");
  const rawIo = row("s1", "raw-ioredis");
  const fenced = row("s1", "raw-fenced-ioredis");
  add(
    "s1: lock() on ioredis ≥ 0.9× the fenced floor (#27)",
    lockIo ? ratio(lockIo.vsFencedFloor) : "—",
    lockIo ? lockIo.vsFencedFloor >= 0.9 : undefined,
  );
  add(
    "s1: lock() on node-redis ≥ 0.8× the unfenced floor (#27)",
    lockNode ? ratio(lockNode.vsFloor) : "—",
    lockNode ? lockNode.vsFloor >= 0.8 : undefined,
  );
  for (const [sg, raw, client] of [
    [lockNode, rawNode, "node-redis"],
    [lockIo, rawIo, "ioredis"],
  ]) {
    const r = sg && raw ? sg.clientCpuUsPerOp / raw.clientCpuUsPerOp : undefined;
    add(
      `s1: client CPU per pair ≤ 1.2× the raw floor's, ${client} (#27)`,
      r === undefined
        ? "—"
        : `${fmt(sg.clientCpuUsPerOp, 0)} vs ${fmt(raw.clientCpuUsPerOp, 0)} µs (${ratio(r)})`,
      r === undefined ? undefined : r <= 1.2,
    );
  }
  for (const [sg, client] of [
    [lockNode, "node-redis"],
    [lockIo, "ioredis"],
  ]) {
    const r = sg && fenced ? sg.serverCpuUsPerOp / fenced.serverCpuUsPerOp : undefined;
    add(
      `s1: server CPU per pair ≤ 1.15× the fenced floor's, lock() on ${client} (#27)`,
      r === undefined
        ? "—"
        : `${fmt(sg.serverCpuUsPerOp, 0)} vs ${fmt(fenced.serverCpuUsPerOp, 0)} µs (${ratio(r)})`,
      r === undefined ? undefined : r <= 1.15,
    );
  }
  add(
    "s1: exactly 2 round trips per uncontended acquire + release (#8)",
    lockNode ? `${fmt(lockNode.requestsPerOp)} requests/op` : "—",
    lockNode ? Math.abs(lockNode.requestsPerOp - 2) < 0.005 : undefined,
  );

  // s3: key pool, on ioredis
  const poolIo = row("s3", "syncguard-ioredis");
  const poolFenced = row("s3", "raw-fenced-ioredis");
  add(
    "s3: lock() on ioredis ≥ 0.9× redis-semaphore (#27)",
    poolIo ? ratio(poolIo.vsSemaphore) : "—",
    poolIo ? poolIo.vsSemaphore >= 0.9 : undefined,
  );
  add(
    "s3: lock() on ioredis ≥ 0.85× the fenced floor (#27)",
    poolIo ? ratio(poolIo.vsFencedFloor) : "—",
    poolIo ? poolIo.vsFencedFloor >= 0.85 : undefined,
  );
  const p50 = poolIo && poolFenced ? poolIo.latency.p50 / poolFenced.latency.p50 : undefined;
  add(
    "s3: p50 ≤ 1.5× the fenced floor's, ioredis (#27)",
    p50 === undefined
      ? "—"
      : `${fmt(poolIo.latency.p50, 0)} vs ${fmt(poolFenced.latency.p50, 0)} µs (${ratio(p50)})`,
    p50 === undefined ? undefined : p50 <= 1.5,
  );

  // s2: hot key
  const hotFloor = row("s2", "raw-node-redis");
  for (const name of ["syncguard-lock", "syncguard-ioredis"]) {
    const hot = row("s2", name);
    add(
      `s2: fairness (min/max share) ≥ 0.9 and 0 stalled waits, ${name} (#27)`,
      hot ? `min/max ${fmt(hot.fairness)}, ${hot.stalled} stalled` : "—",
      hot ? hot.fairness >= 0.9 && hot.stalled === 0 : undefined,
    );
    add(
      `s2: acquisitions/s ≥ 0.7× the unfenced floor, ${name} (#27)`,
      hot ? ratio(hot.vsFloor) : "—",
      hot ? hot.vsFloor >= 0.7 : undefined,
    );
    const cpu = hot && hotFloor ? hot.serverCpuUsPerOp / hotFloor.serverCpuUsPerOp : undefined;
    add(
      `s2: server CPU per acquisition ≤ 1.8× the floor's, ${name} (#27)`,
      cpu === undefined
        ? "—"
        : `${fmt(hot.serverCpuUsPerOp, 0)} vs ${fmt(hotFloor.serverCpuUsPerOp, 0)} µs (${ratio(cpu)})`,
      cpu === undefined ? undefined : cpu <= 1.8,
    );
  }

  // What SyncGuard left in Redis once every lock of s1-s3 ended.
  const left = floor?.keysLeft;
  add(
    "Keys after every lock ended: no lock record, at most 4096 fence counters (#15, #27)",
    left
      ? `${left.records} records, ${left.counters} counters, ${left.queues} queues (they expire with their waiters' budgets)`
      : "—",
    left ? left.records === 0 && left.counters <= 4096 : undefined,
  );

  // In-process scenarios
  const conn = s.connections;
  add(
    "Redis connections stay at 2 per client regardless of waiters (#9)",
    conn ? conn.map((r) => `${r.waiters} waiters: ${r.connectionsWhileWaiting}`).join(", ") : "—",
    conn ? conn.every((r) => r.connectionsWhileWaiting <= 2) : undefined,
  );
  for (const backend of ["memory", "redis"]) {
    const m = s.memory?.find((r) => r.backend === backend);
    add(
      `Heap growth < 1 byte per cycle, ${backend} backend (#8)`,
      m
        ? `${fmt(m.bytesPerCycle, 3)} B/cycle over ${m.cycles.toLocaleString("en-US")} cycles`
        : "—",
      m ? m.bytesPerCycle < 1 : undefined,
    );
  }
  const wrap = s.wrapper?.find((r) => r.backend === "redis");
  add(
    "lock(fn) wrapper overhead < 5 % of the backend calls, Redis, in one process (#8)",
    wrap ? `${fmt(wrap.overheadPct, 1)} % (+${fmt(wrap.addedUsPerOp)} µs/op)` : "—",
    wrap ? wrap.overheadPct < 5 : undefined,
  );
  return t;
}
