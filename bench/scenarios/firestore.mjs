// Firestore (emulator): operation latency as a ratio of a raw runTransaction(get + set) on the
// same emulator, and one contended key with a few workers against a raw transactional lock that
// polls. The emulator is slow (~10 ms per transaction, ~0.5 s per conflict): kept short.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { createSyncGuardLock } from "../lib/contenders.mjs";
import { errorMessage, now, percentiles, rotate, sleep } from "../lib/util.mjs";

const require = createRequire(import.meta.url);

function loadFirestore() {
  const { Firestore } = require("@google-cloud/firestore");
  const { createFirestoreBackend } = require("@syncguard/firestore");
  return { Firestore, createFirestoreBackend };
}

const opNames = ["floor txn", "floor get", "acquire", "extend", "isLocked", "release"];

export async function firestoreLatency({ host, projectId, rounds, perRound, log }) {
  const { Firestore, createFirestoreBackend } = loadFirestore();
  const db = new Firestore({ projectId, host, ssl: false });
  const backend = createFirestoreBackend(db, {
    collection: "bench_locks",
    fenceCollection: "bench_fences",
  });
  const floorDocs = db.collection("bench_floor");
  const lat = Object.fromEntries(opNames.map((n) => [n, []]));
  let seq = 0;
  const timed = async (name, fn) => {
    const t0 = now();
    const r = await fn();
    lat[name].push(now() - t0);
    return r;
  };
  const floorTxn = (ref) =>
    db.runTransaction(async (tx) => {
      const snap = await tx.get(ref);
      tx.set(ref, { owner: randomUUID(), n: (snap.get("n") ?? 0) + 1, at: Date.now() });
    });
  // warm-up: channels, first transaction (~1 s on the emulator)
  await floorTxn(floorDocs.doc("warm"));
  const w = await backend.acquire({ key: "warm", ttlMs: 30_000 });
  if (w.ok) await backend.release({ lockId: w.lockId });

  for (let r = 0; r < rounds; r++) {
    const ids = [];
    for (let i = 0; i < perRound; i++) {
      const k = `k${seq++}`;
      await timed("floor txn", () => floorTxn(floorDocs.doc(k)));
      await timed("floor get", () => floorDocs.doc(k).get());
      const res = await timed("acquire", () => backend.acquire({ key: k, ttlMs: 30_000 }));
      if (!res.ok) throw new Error(`firestore acquire of a fresh key failed: ${k}`);
      ids.push({ k, lockId: res.lockId });
    }
    for (const { lockId } of ids)
      await timed("extend", () => backend.extend({ lockId, ttlMs: 30_000 }));
    for (const { k } of ids) await timed("isLocked", () => backend.isLocked({ key: k }));
    for (const { lockId } of ids) await timed("release", () => backend.release({ lockId }));
    log(`  round ${r + 1}/${rounds}`);
  }
  await backend.close();
  await db.terminate();
  const floor = percentiles(lat["floor txn"], [50, 99]);
  return opNames.map((name) => {
    const p = percentiles(lat[name], [50, 99]);
    return { op: name, n: lat[name].length, ...p, vsFloorP50: p.p50 / floor.p50 };
  });
}

/** A raw transactional lock: get; if free, set {owner, expiresAt}; release = txn delete if owner. */
function rawFirestoreLock(db, collection) {
  return async (key, fn, stopAt) => {
    const ref = db.collection(collection).doc(key);
    const owner = randomUUID();
    const deadline = Math.min(Date.now() + 10_000, stopAt);
    for (;;) {
      const got = await db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (snap.exists && snap.get("expiresAt") > Date.now()) return false;
        tx.set(ref, { owner, expiresAt: Date.now() + 30_000 });
        return true;
      });
      if (got) break;
      if (Date.now() > deadline) throw new Error("raw firestore lock: timeout");
      await sleep(50);
    }
    try {
      return await fn();
    } finally {
      await db.runTransaction(async (tx) => {
        const snap = await tx.get(ref);
        if (snap.exists && snap.get("owner") === owner) tx.delete(ref);
      });
    }
  };
}

export async function firestoreContended({ host, projectId, workers, durationS, rounds, log }) {
  const { Firestore, createFirestoreBackend } = loadFirestore();
  const arms = [];
  const allDbs = [];
  {
    const dbs = Array.from(
      { length: workers },
      () => new Firestore({ projectId, host, ssl: false }),
    );
    allDbs.push(...dbs);
    arms.push({
      name: "raw txn lock (50 ms poll)",
      locks: dbs.map((db) => rawFirestoreLock(db, "bench_raw_contended")),
      close: () => Promise.all(dbs.map((db) => db.terminate())),
    });
  }
  {
    const dbs = Array.from(
      { length: workers },
      () => new Firestore({ projectId, host, ssl: false }),
    );
    allDbs.push(...dbs);
    const backends = dbs.map((db) =>
      createFirestoreBackend(db, { collection: "bench_locks", fenceCollection: "bench_fences" }),
    );
    const locks = backends.map((b) => createSyncGuardLock(b));
    arms.push({
      name: "SyncGuard lock()",
      locks: locks.map(
        (lock) => (key, fn, stopAt) =>
          lock(fn, {
            key,
            timeoutMs: 10_000,
            signal: AbortSignal.timeout(Math.max(1, Math.ceil(stopAt - Date.now()))),
          }),
      ),
      close: async () => {
        for (const b of backends) await b.close();
        await Promise.all(dbs.map((db) => db.terminate()));
      },
    });
  }
  // warm-up: every client opens its channel and runs one transaction before the clock starts
  await Promise.all(
    allDbs.map((db) =>
      db.runTransaction(async (tx) => void (await tx.get(db.doc("bench_warm/w")))),
    ),
  );
  const acc = new Map(
    arms.map((a) => [
      a.name,
      {
        ms: 0,
        acq: 0,
        failures: 0,
        perWorker: new Array(workers).fill(0),
        gaps: [],
        errors: new Map(),
        takeBacks: 0,
      },
    ]),
  );
  const roundMs = (durationS * 1000) / rounds;
  for (let r = 0; r < rounds; r++) {
    for (const arm of rotate(arms, r)) {
      const a = acc.get(arm.name);
      const key = `contended-${arm.name.startsWith("raw") ? "raw" : "sg"}`;
      const t0 = now();
      const tEnd = t0 + roundMs;
      let lastRel = 0;
      let lastWorker = -1;
      let takeBacks = 0;
      await Promise.all(
        arm.locks.map(async (lock, w) => {
          while (now() < tEnd) {
            try {
              await lock(
                key,
                async () => {
                  const t = now();
                  if (t <= tEnd) {
                    a.acq++;
                    a.perWorker[w]++;
                    if (lastWorker >= 0 && lastWorker !== w) a.gaps.push(t - lastRel);
                    if (lastWorker === w) takeBacks++;
                  }
                  await sleep(1);
                  lastRel = now();
                  lastWorker = w;
                },
                performance.timeOrigin + tEnd,
              );
            } catch (error) {
              if (now() >= tEnd) break; // the wait was cut at the end of the round
              a.failures++;
              const msg = errorMessage(error);
              a.errors.set(msg, (a.errors.get(msg) ?? 0) + 1);
              await sleep(1);
            }
          }
        }),
      );
      a.takeBacks += takeBacks;
      a.ms += roundMs;
    }
    log(`  round ${r + 1}/${rounds}`);
  }
  for (const arm of arms) await arm.close();
  return arms.map((arm) => {
    const a = acc.get(arm.name);
    const g = percentiles(a.gaps, [50, 99]);
    const min = Math.min(...a.perWorker);
    const max = Math.max(...a.perWorker);
    return {
      name: arm.name,
      acquisitions: a.acq,
      acqPerS: a.acq / (a.ms / 1000),
      gapP50: g.p50,
      gapP99: g.p99,
      minMaxShare: max > 0 ? min / max : Number.NaN,
      takeBackShare: a.acq > 1 ? a.takeBacks / (a.acq - 1) : Number.NaN,
      perWorker: a.perWorker,
      failures: a.failures,
      errors: Object.fromEntries(a.errors),
    };
  });
}
