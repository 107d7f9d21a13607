/**
 * Scenario 10: soak. 8 worker processes loop lock() on 50 keys against a private redis-server
 * with AOF (fsync always) for SYNCGUARD_SOAK_MS (default 30 s), while the supervisor SIGKILLs
 * random workers (respawning them) and kills and restarts the server at least once.
 * Then: 0 overlaps, strictly increasing fences per key, no keys left under the prefix after
 * every TTL but fence counters, and each surviving worker's heap flat (after a forced GC).
 */
import { type BackendConfig, FENCE_KEY, redisKeysUnder, uniqueName } from "../harness/backends";
import { createLedger } from "../harness/ledger";
import { concludeScenario } from "../harness/scenario";
import { ServiceHost } from "../harness/services";
import { killAllWorkers, spawnWorker, type WorkerProcess } from "../harness/supervisor";
import { delay, monoMs, pollUntil } from "../harness/timing";

const SOAK_MS = Number(process.env.SYNCGUARD_SOAK_MS ?? 30_000);
const WORKERS = 8;
/** Workers 0..5 may be killed; 6 and 7 live through the whole soak so their heap is measured. */
const KILLABLE = 6;
const KEYS = Array.from({ length: 50 }, (_, i) => `soak:${i}`);
const TTL_MS = 2000;
const TIMEOUT_MS = 1500;
const TOLERANCE_MS = 1000;
/** Gross growth only: a leak, not GC noise. */
const HEAP_GROWTH_LIMIT_MB = 50;

let host: ServiceHost;
beforeAll(async () => {
  host = await ServiceHost.start();
});
afterAll(async () => {
  await killAllWorkers();
  await host?.close();
});

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

it(
  `redis-single soak: ${WORKERS} workers, ${KEYS.length} keys, worker SIGKILLs and server restarts`,
  async () => {
    const server = await host.redis({ appendOnly: true });
    const config: BackendConfig = {
      kind: "redis-single",
      redisUrl: server.address,
      keyPrefix: uniqueName("soak"),
    };
    const ledger = createLedger("soak");
    const workerConfig = {
      backend: config,
      ledger: ledger.file,
      keys: KEYS,
      ttlMs: TTL_MS,
      timeoutMs: TIMEOUT_MS,
    };
    const launch = async (slot: number) => {
      const worker = await spawnWorker({
        script: "soak-worker.js",
        config: workerConfig,
        ledger,
        execArgv: ["--expose-gc"],
        label: `soak worker ${slot}`,
      });
      worker.send({ type: "start" });
      return worker;
    };
    try {
      const slots: WorkerProcess[] = await Promise.all(
        Array.from({ length: WORKERS }, (_, slot) => launch(slot)),
      );
      let workerKills = 0;
      let serverRestarts = 0;
      const start = monoMs();
      const restartAt = [0.35, 0.7].map((f) => f * SOAK_MS);
      // Pacing of the fault injection; synchronisation is by the ledger, never by these pauses.
      while (monoMs() - start < SOAK_MS) {
        await delay(1000 + Math.random() * 2000);
        const elapsed = monoMs() - start;
        if (elapsed >= SOAK_MS) break;
        if (restartAt.length > 0 && elapsed >= restartAt[0]!) {
          restartAt.shift();
          await server.kill();
          await server.restart();
          serverRestarts += 1;
          continue;
        }
        const slot = Math.floor(Math.random() * KILLABLE);
        await slots[slot]!.kill("SIGKILL");
        workerKills += 1;
        slots[slot] = await launch(slot);
      }
      if (serverRestarts === 0) {
        // A very short SYNCGUARD_SOAK_MS: still restart the server once.
        await server.kill();
        await server.restart();
        serverRestarts += 1;
      }

      for (const worker of slots) worker.send({ type: "stop" });
      const stats = await Promise.all(slots.map((worker) => worker.expect("stats", 20_000)));
      const soakMs = Math.round(monoMs() - start);

      // Every lock must be gone once its TTL (and the tolerance) has passed; counters stay.
      let leftKeys: string[] = [];
      const settleStart = monoMs();
      try {
        await pollUntil(
          "only fence counters left under the prefix",
          async () => {
            leftKeys = (await redisKeysUnder(config)).filter((key) => !FENCE_KEY.test(key));
            return leftKeys.length === 0 ? true : undefined;
          },
          { deadlineMs: TTL_MS + TOLERANCE_MS + TIMEOUT_MS + 5000, intervalMs: 250 },
        );
      } catch {
        // reported below with the keys themselves
      }
      const settledMs = Math.round(monoMs() - settleStart);
      const fenceCounters = (await redisKeysUnder(config)).filter((key) =>
        FENCE_KEY.test(key),
      ).length;

      const ops = stats.reduce((sum, s) => sum + (s.ops as number), 0);
      const errors: Record<string, number> = {};
      for (const s of stats) {
        for (const [code, n] of Object.entries(s.errors as Record<string, number>)) {
          errors[code] = (errors[code] ?? 0) + n;
        }
      }
      const heaps = stats.map((s, slot) => ({
        slot,
        start: s.heapStartBytes === null ? Number.NaN : mb(s.heapStartBytes as number),
        end: mb(s.heapEndBytes as number),
      }));
      const report = ledger.read();
      concludeScenario(
        {
          scenario: "soak",
          backend: "redis-single-aof",
          faults: workerKills + serverRestarts,
          ops: report.intervals.length,
          extra: {
            soakMs,
            workers: WORKERS,
            keys: KEYS.length,
            workerKills,
            serverRestarts,
            lockCallsReported: ops,
            errors:
              Object.entries(errors)
                .map(([code, n]) => `${code}:${n}`)
                .join(",") || "none",
            leftKeys: leftKeys.length,
            keysSettledMs: settledMs,
            fenceCounters,
            heapMb: heaps.map((h) => `w${h.slot}:${h.start}->${h.end}`).join(","),
          },
        },
        report,
      );
      expect(report.unclosed).toEqual([]);
      expect(leftKeys).toEqual([]);
      expect(ops).toBeGreaterThan(0);
      for (const h of heaps.slice(KILLABLE)) {
        expect(h.end - h.start).toBeLessThanOrEqual(HEAP_GROWTH_LIMIT_MB);
      }
    } finally {
      await killAllWorkers();
      await server.stop();
      ledger.dispose();
    }
  },
  SOAK_MS + 120_000,
);
