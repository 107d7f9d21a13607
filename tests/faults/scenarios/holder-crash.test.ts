/**
 * Scenario 1: a holder is SIGKILLed inside fn. Its lock must free by itself at its TTL (plus the
 * fixed 1000 ms tolerance), not before; the next holder, in another process, gets a strictly
 * greater fence; the critical sections never overlap.
 */
import { type BackendConfig, SERVICE_KINDS, sharedConfig } from "../harness/backends";
import { createLedger } from "../harness/ledger";
import { concludeScenario, nsToMs } from "../harness/scenario";
import { killAllWorkers, spawnWorker } from "../harness/supervisor";

const TTL_MS = 2000;
const TOLERANCE_MS = 1000;
/** Retry delay of the next holder, round trips, process scheduling on 2 busy cores. */
const SLACK_MS = 600;

afterAll(killAllWorkers);

describe("holder SIGKILL inside fn", () => {
  it.skip("memory: not applicable (an in-process backend is not shared with another process)", () => {});

  it.each(SERVICE_KINDS)(
    "%s: the lock frees at its TTL and the next fence is greater",
    async (kind) => {
      const config: BackendConfig = sharedConfig(kind, "crash");
      const ledger = createLedger(`crash-${kind}`);
      const workerConfig = { backend: config, ledger: ledger.file };
      const [holder, next] = await Promise.all([
        spawnWorker({ script: "section-worker.js", config: workerConfig, ledger, label: "holder" }),
        spawnWorker({ script: "section-worker.js", config: workerConfig, ledger, label: "next" }),
      ]);
      const key = `crash:${kind}`;
      try {
        holder.send({ type: "lock", id: "h", key, options: { ttlMs: TTL_MS }, hold: "forever" });
        const held = await holder.entered("h", 10_000);
        await holder.kill("SIGKILL");

        next.send({
          type: "lock",
          id: "n",
          key,
          options: {
            ttlMs: 5000,
            timeoutMs: 15_000,
            maxRetries: 1000,
            retryDelayMs: 50,
            maxRetryDelayMs: 100,
          },
          hold: "until-finish",
        });
        const taken = await next.entered("n", 20_000);
        next.send({ type: "finish", id: "n" });
        const settled = await next.expect("settled", 10_000, "n");

        const report = ledger.read();
        const [first, second] = report.intervals;
        const freedAfterMs = first && second ? nsToMs(second.enter, first.enter) : Number.NaN;
        concludeScenario(
          {
            scenario: "holder-sigkill",
            backend: kind,
            faults: 1,
            ops: report.intervals.length,
            extra: {
              ttlMs: TTL_MS,
              freedAfterMs,
              holderFence: String(held.fence),
              nextFence: String(taken.fence),
            },
          },
          report,
        );
        expect(report.intervals).toHaveLength(2);
        expect(settled.ok).toBe(true);
        // Not before the TTL: the killed holder's lease still protected its work.
        expect(freedAfterMs).toBeGreaterThanOrEqual(TTL_MS);
        // But by TTL + tolerance: a crashed holder never blocks the key longer.
        expect(freedAfterMs).toBeLessThanOrEqual(TTL_MS + TOLERANCE_MS + SLACK_MS);
        expect(String(taken.fence) > String(held.fence)).toBe(true);
      } finally {
        await killAllWorkers();
        ledger.dispose();
      }
    },
  );
});
