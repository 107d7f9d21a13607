import { createLock, type LockBackend } from "@syncguard/core";
import { sleep } from "./helpers";

export interface LeaseProbeResult {
  /** Times the competitor acquired the key while the holder's work ran (must be 0). */
  intrusions: number;
  /** Acquire attempts the competitor made. */
  attempts: number;
  /** Whether the holder's context signal had aborted when the work ended (must be false). */
  aborted: boolean;
  /** Whether the key was free again after lock() returned (must be true). */
  releasedAfter: boolean;
}

/**
 * Holds `key` with `lock(..., { autoExtend: true })` on `holder` for `workMs`, while `competitor`
 * (another client, as another process would be) tries to take it every `pollMs`. Used by backend
 * test suites to show that auto-extend keeps a short lease alive through long work.
 */
export async function probeAutoExtend(
  holder: LockBackend,
  competitor: LockBackend,
  options: { key: string; ttlMs: number; workMs: number; pollMs?: number },
): Promise<LeaseProbeResult> {
  const { key, ttlMs, workMs, pollMs = 100 } = options;
  let intrusions = 0;
  let attempts = 0;
  const aborted = await createLock(holder)(
    async ({ signal }) => {
      const until = Date.now() + workMs;
      while (Date.now() < until) {
        attempts++;
        if ((await competitor.acquire({ key, ttlMs })).ok) intrusions++;
        await sleep(pollMs);
      }
      return signal.aborted;
    },
    { key, ttlMs, autoExtend: true },
  );
  return { intrusions, attempts, aborted, releasedAfter: !(await competitor.isLocked({ key })) };
}
