// The targets of issues 8 and 9, checked against one run's numbers. Never throws on a miss.
import { fmt } from "./util.mjs";

const PASS = "PASS";
const MISS = "MISS";
const NA = "n/a (not run)";

export function evaluateTargets(s, peers) {
  const t = [];
  const add = (target, measured, ok) =>
    t.push({ target, measured, result: ok === undefined ? NA : ok ? PASS : MISS });
  const row = (rows, name) => rows?.find((r) => r.name === name);
  const peerNames = peers.map((p) => p.name);

  // Scenario 1
  const u = s.uncontended;
  const sgU = row(u, "syncguard");
  add(
    "Redis: exactly 2 round trips per uncontended acquire+release (#8)",
    sgU ? `${fmt(sgU.roundTripsPerOp)} round trips/op` : "—",
    sgU ? Math.abs(sgU.roundTripsPerOp - 2) < 1e-9 : undefined,
  );
  add(
    "Redis: uncontended throughput ≥ 0.9× raw floor (#8)",
    sgU ? `${fmt(sgU.vsFloor)}× floor` : "—",
    sgU ? sgU.vsFloor >= 0.9 : undefined,
  );
  if (sgU) {
    const behind = u.filter((r) => peerNames.includes(r.name) && r.opsPerS >= sgU.opsPerS);
    add(
      "Redis: ahead of every peer, uncontended (#8)",
      behind.length
        ? `behind ${behind.map((r) => `${r.name} (${fmt(r.opsPerS / sgU.opsPerS)}×)`).join(", ")}`
        : `best peer ${bestPeer(u, peerNames, "opsPerS")}`,
      behind.length === 0,
    );
  } else add("Redis: ahead of every peer, uncontended (#8)", "—", undefined);

  // Scenario 3
  const p = s.pool;
  const sgP = row(p, "syncguard");
  if (sgP) {
    const behind = p.filter((r) => peerNames.includes(r.name) && r.opsPerS >= sgP.opsPerS);
    add(
      "Redis: ahead of every peer, key pool (#8)",
      behind.length
        ? `behind ${behind.map((r) => `${r.name} (${fmt(r.opsPerS / sgP.opsPerS)}×)`).join(", ")}`
        : `${fmt(sgP.opsPerS, 0)} ops/s; best peer ${bestPeer(p, peerNames, "opsPerS")}`,
      behind.length === 0,
    );
  } else add("Redis: ahead of every peer, key pool (#8)", "—", undefined);

  // Scenario 2, defaults
  const hd = s["hotkey-defaults"];
  const sgD = row(hd, "syncguard");
  add(
    "Hot key, defaults: no starvation, min/max share ≥ 0.5 (#8)",
    sgD ? `min/max ${fmt(sgD.minMaxShare)} [${sgD.perWorker.join(", ")}]` : "—",
    sgD ? sgD.minMaxShare >= 0.5 : undefined,
  );
  add(
    "Hot key, defaults: zero stalled waits (#8)",
    sgD ? `${sgD.stalled} stalled of ${sgD.waits} waits` : "—",
    sgD ? sgD.stalled === 0 : undefined,
  );
  add(
    "Hot key, defaults: ≤ 5 Redis commands per acquisition (#8)",
    sgD
      ? `${fmt(sgD.requestsPerAcq)} requests/acq (${fmt(sgD.serverCmdsPerAcq)} server cmds incl. script-internal)`
      : "—",
    sgD ? sgD.requestsPerAcq <= 5 : undefined,
  );
  if (sgD) {
    const peersD = hd.filter((r) => peerNames.includes(r.name));
    const notBelow = peersD.filter((r) => !(sgD.gapP50 < r.gapP50));
    add(
      "Hot key, defaults: handoff gap to a different waiter below every peer's (#8)",
      `p50 ${fmt(sgD.gapP50)} ms vs peers ${peersD.map((r) => `${r.name} ${fmt(r.gapP50)}`).join(", ")}`,
      notBelow.length === 0,
    );
  } else add("Hot key, defaults: handoff gap below every peer's (#8)", "—", undefined);

  // Scenario 2, equal settings (issue 9)
  const he = s["hotkey-equal"];
  const sgE = row(he, "syncguard");
  const rawE = row(he, "raw");
  add(
    "Hot key, same retry delay: handoff gap ≥ 3× lower than polling (#9)",
    sgE && rawE
      ? `p50 ${fmt(sgE.gapP50)} ms vs raw polling ${fmt(rawE.gapP50)} ms (${fmt(rawE.gapP50 / sgE.gapP50)}×)`
      : "—",
    sgE && rawE ? rawE.gapP50 >= 3 * sgE.gapP50 : undefined,
  );
  add(
    "Hot key, same retry delay: fewer Redis commands per acquisition than polling (#9)",
    sgE && rawE ? `${fmt(sgE.requestsPerAcq)} vs ${fmt(rawE.requestsPerAcq)} requests/acq` : "—",
    sgE && rawE ? sgE.requestsPerAcq < rawE.requestsPerAcq : undefined,
  );
  add(
    "Hot key, same retry delay: no stalled waits, min/max share ≥ 0.5 (#9)",
    sgE ? `${sgE.stalled} stalled, min/max ${fmt(sgE.minMaxShare)}` : "—",
    sgE ? sgE.stalled === 0 && sgE.minMaxShare >= 0.5 : undefined,
  );

  // Issue 15: against the fastest peers, same run.
  const rawU = row(u, "raw");
  const semU = row(u, "redis-semaphore");
  add(
    "Uncontended: lock() ≥ 0.85× the raw node-redis floor (#15)",
    sgU ? `${fmt(sgU.vsFloor)}× floor` : "—",
    sgU ? sgU.vsFloor >= 0.85 : undefined,
  );
  // redis-semaphore runs on ioredis: judged against SyncGuard on whichever client is faster.
  const sgIoU = row(u, "syncguard-ioredis");
  const bestU = [sgU, sgIoU].filter(Boolean).sort((a, b) => b.opsPerS - a.opsPerS)[0];
  const clientOf = (r) => (r?.name === "syncguard-ioredis" ? "ioredis" : "node-redis");
  add(
    "Uncontended: lock() ≥ 0.9× redis-semaphore's throughput, faster client (#15, #16)",
    bestU && semU
      ? `${fmt(bestU.opsPerS / semU.opsPerS)}× (SyncGuard on ${clientOf(bestU)}; both on ioredis: ${sgIoU ? fmt(sgIoU.opsPerS / semU.opsPerS) : "—"}×)`
      : "—",
    bestU && semU ? bestU.opsPerS >= 0.9 * semU.opsPerS : undefined,
  );
  add(
    "Uncontended: client CPU per pair ≤ 1.15× the floor's, same client (#15)",
    sgU && rawU
      ? `${fmt(sgU.cpuUsPerOp, 0)} vs ${fmt(rawU.cpuUsPerOp, 0)} µs (${fmt(sgU.cpuUsPerOp / rawU.cpuUsPerOp)}×)`
      : "—",
    sgU && rawU ? sgU.cpuUsPerOp <= 1.15 * rawU.cpuUsPerOp : undefined,
  );
  add(
    "Uncontended: ≤ 6 server commands per pair, scripts included (#15)",
    sgU ? `${fmt(sgU.serverCmdsPerOp)} per pair` : "—",
    sgU ? sgU.serverCmdsPerOp <= 6.05 : undefined,
  );
  add(
    "Redis keys left after every lock ended do not grow with distinct keys (≤ 4096 per prefix) (#15)",
    sgU?.keysLeft !== undefined
      ? `${sgU.keysLeft.toLocaleString("en-US")} keys left after ${sgU.distinctKeys.toLocaleString("en-US")} distinct keys`
      : "—",
    sgU?.keysLeft !== undefined ? sgU.keysLeft <= 4096 : undefined,
  );
  const rawP = row(p, "raw");
  const semP = row(p, "redis-semaphore");
  const sgIoP = row(p, "syncguard-ioredis");
  const bestP = [sgP, sgIoP].filter(Boolean).sort((a, b) => b.opsPerS - a.opsPerS)[0];
  add(
    "Key pool: ≥ 0.9× redis-semaphore's throughput, faster client (#15, #16)",
    bestP && semP ? `${fmt(bestP.opsPerS / semP.opsPerS)}× (SyncGuard on ${clientOf(bestP)})` : "—",
    bestP && semP ? bestP.opsPerS >= 0.9 * semP.opsPerS : undefined,
  );
  add(
    "Key pool: p50 ≤ 1.2× the floor's (#15)",
    sgP && rawP
      ? `${fmt(sgP.p50, 3)} vs ${fmt(rawP.p50, 3)} ms (${fmt(sgP.p50 / rawP.p50)}×)`
      : "—",
    sgP && rawP ? sgP.p50 <= 1.2 * rawP.p50 : undefined,
  );
  const rawD = row(hd, "raw");
  add(
    "Hot key: min/max share ≥ 0.9 and 0 stalled waits (#15)",
    sgD ? `min/max ${fmt(sgD.minMaxShare)}, ${sgD.stalled} stalled` : "—",
    sgD ? sgD.minMaxShare >= 0.9 && sgD.stalled === 0 : undefined,
  );
  add(
    "Hot key: acquisitions/s ≥ 0.6× the floor (#15)",
    sgD && rawD ? `${fmt(sgD.acqPerS / rawD.acqPerS)}× floor` : "—",
    sgD && rawD ? sgD.acqPerS >= 0.6 * rawD.acqPerS : undefined,
  );
  add(
    "Hot key: ≤ 10 server commands per acquisition (#15)",
    sgD ? `${fmt(sgD.serverCmdsPerAcq)} per acquisition` : "—",
    sgD ? sgD.serverCmdsPerAcq <= 10 : undefined,
  );

  // Scenario 4
  const w = s.wrapper?.find((r) => r.backend === "redis");
  add(
    "lock(fn) wrapper overhead < 5 % of the backend calls (Redis) (#8)",
    w ? `${fmt(w.overheadPct, 1)} % (+${fmt(w.addedUsPerOp)} µs/op)` : "—",
    w ? w.overheadPct < 5 : undefined,
  );
  const wm = s.wrapper?.find((r) => r.backend === "memory");
  if (wm)
    t.push({
      target: "lock(fn) wrapper overhead, memory backend (info)",
      measured: `${fmt(wm.overheadPct, 0)} % (+${fmt(wm.addedUsPerOp)} µs/op on ${fmt(wm.rawUsPerOp)} µs calls)`,
      result: "info",
    });

  // Scenario 5
  const c = s.connections;
  add(
    "Redis connections stay at 2 per client regardless of waiters (#9)",
    c ? c.map((r) => `${r.waiters} waiters: ${r.connectionsWhileWaiting}`).join(", ") : "—",
    c ? c.every((r) => r.connectionsWhileWaiting <= 2 && r.failed === 0) : undefined,
  );

  // Memory
  for (const b of ["memory", "redis"]) {
    const m = s.memory?.find((r) => r.backend === b);
    add(
      `Heap growth < 1 byte per cycle, ${b} backend (#8)`,
      m
        ? `${fmt(m.bytesPerCycle, 3)} B/cycle over ${m.cycles.toLocaleString("en-US")} cycles`
        : "—",
      m ? m.pass : undefined,
    );
  }
  return t;
}

function bestPeer(rows, peerNames, field) {
  const peers = rows.filter((r) => peerNames.includes(r.name));
  if (!peers.length) return "—";
  const best = peers.reduce((a, b) => (b[field] > a[field] ? b : a));
  return `${best.name} ${fmt(best[field], 0)}`;
}
