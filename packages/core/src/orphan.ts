import { inBackground } from "./background";
import { isLockError, isTransientCode } from "./errors";
import type { LeaseSpace } from "./lease-space";
import { monotonicClock, TIME_TOLERANCE_MS } from "./time";
import type { BackendCapabilities } from "./types";
import { unrefTimer } from "./wait";

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 2_000;

/** What a settled attempt says about whether it may hold the lock. */
function mayHold(outcome: { value?: unknown; error?: unknown }): boolean {
  if ("error" in outcome) {
    // ServiceUnavailable: the attempt never ran. Other errors: it may have.
    return !(isLockError(outcome.error) && outcome.error.code === "ServiceUnavailable");
  }
  const value = outcome.value as { ok?: unknown } | undefined;
  // undefined: the caller knows nothing of the outcome (a lost reply).
  return value === undefined || value.ok === true;
}

/**
 * Gives back a lock that an acquisition may have taken without being told: an attempt abandoned
 * in flight (deadline, abort) or one whose reply was lost. Waits for the attempt to settle, then
 * releases its lockId (a no-op if it never held the key) if that attempt or an earlier one of the
 * same lockId (`earlierMayHold`) may have taken it, retrying transient failures with backoff
 * until the lock would have expired by itself. Runs in the background (never rejecting, whatever
 * the client does meanwhile, e.g. closed by its owner); its timers never keep the process alive.
 */
export function releaseOrphan<C extends BackendCapabilities>(
  space: LeaseSpace<C>,
  key: string,
  lockId: string,
  attempt: Promise<unknown>,
  ttlMs: number,
  earlierMayHold = false,
): void {
  inBackground(space.view, async () => {
    const outcome = await attempt.then(
      (value): { value?: unknown; error?: unknown } => ({ value }),
      (error: unknown) => ({ error }),
    );
    if (earlierMayHold || mayHold(outcome)) await releaseUntilAnswered(space, key, lockId, ttlMs);
  });
}

async function releaseUntilAnswered<C extends BackendCapabilities>(
  space: LeaseSpace<C>,
  key: string,
  lockId: string,
  ttlMs: number,
): Promise<void> {
  const expiredBy = monotonicClock() + ttlMs + TIME_TOLERANCE_MS;
  for (let delay = FIRST_RETRY_MS; ; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
    try {
      await space.release(key, lockId);
      return;
    } catch (error) {
      const retryable = isLockError(error) && isTransientCode(error.code);
      if (!retryable || monotonicClock() + delay >= expiredBy) return;
    }
    await new Promise<void>((resolve) => unrefTimer(resolve, delay));
  }
}
