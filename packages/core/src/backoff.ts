/** How the random part of a retry delay is drawn. */
export type Jitter = "equal" | "full" | "none";

export interface BackoffPolicy {
  /** Delay before the first retry, doubled for each further retry. */
  retryDelayMs: number;
  /** No single delay exceeds this. */
  maxRetryDelayMs: number;
  jitter: Jitter;
}

/**
 * Delay before retry number `retry` (1 for the first retry): exponential growth from
 * `retryDelayMs`, capped at `maxRetryDelayMs`, then jittered so waiters spread out.
 * `random` returns a number in [0, 1); inject one to make delays deterministic.
 */
export function backoffDelay(
  retry: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, retry - 1);
  const base = Math.min(policy.maxRetryDelayMs, policy.retryDelayMs * 2 ** Math.min(exponent, 30));
  switch (policy.jitter) {
    case "none":
      return base;
    case "full":
      return random() * base;
    default:
      return base / 2 + (random() * base) / 2;
  }
}
