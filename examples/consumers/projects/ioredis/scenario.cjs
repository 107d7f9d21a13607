// The checks both entries run, written once. Each entry passes in the `@syncguard/redis` it
// loaded itself (ESM build from main.mjs, CommonJS build from main.cjs) and a ready ioredis client.
const { performance } = require("node:perf_hooks");

/** Long enough that only a wake-up can run the waiter soon: its first retry comes this late. */
const RETRY_DELAY_MS = 10_000;
/** How long the holder keeps the key after the waiter was turned away. */
const RELEASE_AFTER_MS = 100;
/** A waiter that ran within this of the release was woken, not retried. */
const WAKE_BOUND_MS = 5_000;

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

/** Resolves once `condition()` holds, or rejects at the deadline. */
async function until(condition, what, deadlineMs = 5_000) {
  const end = performance.now() + deadlineMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function roundTrip(backend, key) {
  check(backend.capabilities.backend === "redis", "capabilities.backend is redis");
  const first = await backend.acquire({ key, ttlMs: 10_000 });
  check(first.ok, "first acquire");
  check(/^\d{15}$/.test(first.fence), `fence is 15 digits (got ${JSON.stringify(first.fence)})`);
  check(typeof first.lockId === "string" && first.lockId.length > 0, "lockId returned");

  const second = await backend.acquire({ key, ttlMs: 10_000 });
  check(!second.ok && second.reason === "locked", "a second acquire sees the lock");
  check(await backend.isLocked({ key }), "isLocked while held");
  const byKey = await backend.lookup({ key });
  check(byKey?.key === key && byKey.fence === first.fence, "lookup by key sees the holder");
  check(!("lockId" in byKey), "lookup does not reveal the lockId");
  const byId = await backend.lookup({ lockId: first.lockId });
  check(byId?.fence === first.fence, "lookup by lockId sees the holder");

  // extend replaces the expiry with now + ttlMs: twice the TTL lands later than the first expiry.
  const extended = await backend.extend({ lockId: first.lockId, ttlMs: 20_000 });
  check(extended.ok && extended.expiresAtMs > first.expiresAtMs, "extend moves the expiry later");
  check((await backend.lookup({ key }))?.expiresAtMs === extended.expiresAtMs, "lookup sees it");

  check((await backend.release({ lockId: first.lockId })).ok, "release");
  check(!(await backend.release({ lockId: first.lockId })).ok, "a second release finds nothing");
  check(!(await backend.isLocked({ key })), "free after release");
  check((await backend.lookup({ key })) === null, "lookup finds nothing after release");
  return first.fence;
}

async function wakeUp(backend, lock, key) {
  const holder = await backend.acquire({ key, ttlMs: 30_000 });
  check(holder.ok, "holder acquire");
  const events = [];
  const t0 = performance.now();
  const waiter = lock(async ({ fence }) => ({ fence, ranAtMs: performance.now() - t0 }), {
    key,
    ttlMs: 5_000,
    timeoutMs: 20_000,
    retryDelayMs: RETRY_DELAY_MS,
    // No jitter: the first retry is exactly RETRY_DELAY_MS after the failed attempt.
    jitter: "none",
    onEvent: (event) => events.push({ ...event, atMs: performance.now() - t0 }),
  });
  waiter.catch(() => {}); // awaited below; keeps a failure here from going unhandled meanwhile
  // Release only once the waiter has been turned away, so its wait is the one under test.
  await until(() => events.some((e) => e.type === "contended"), "the waiter to be turned away");
  await new Promise((resolve) => setTimeout(resolve, RELEASE_AFTER_MS));
  // Timed from the start of the release: the wake-up may land before its reply does.
  const releasedAtMs = performance.now() - t0;
  check((await backend.release({ lockId: holder.lockId })).ok, "holder release");

  const { fence, ranAtMs } = await waiter;
  const wakeMs = ranAtMs - releasedAtMs;
  check(fence > holder.fence, "the waiter's fence is above the holder's");
  check(ranAtMs >= releasedAtMs, "the waiter ran only after the release");
  check(
    wakeMs < WAKE_BOUND_MS,
    `woken ${wakeMs.toFixed(0)} ms after the release (retry delay ${RETRY_DELAY_MS} ms)`,
  );
  // Every turned-away attempt came before the release: the waiter took the key with its first
  // attempt after it, not by polling.
  const turnedAway = events.filter((e) => e.type === "contended");
  check(
    turnedAway.every((e) => e.atMs < releasedAtMs) &&
      events.some((e) => e.type === "acquired" && e.attempts === turnedAway.length + 1),
    `one attempt after the release (${JSON.stringify(events)})`,
  );
  check(!(await backend.isLocked({ key })), "lock() released the key");
  return Math.round(wakeMs);
}

/** Round trip and wake-up on one client; closes the backend it made, never the client. */
async function runScenario({ createLock, createRedisBackend, client, name }) {
  const keyPrefix = `consumer-ioredis-${name}-${process.pid}`;
  const backend = createRedisBackend(client, { keyPrefix });
  try {
    const fence = await roundTrip(backend, `consumer:${name}`);
    const lock = createLock(client, { keyPrefix });
    try {
      const wakeMs = await wakeUp(backend, lock, `consumer:${name}:wake`);
      return { fence, wakeMs };
    } finally {
      // The documented shutdown order: the lock (its wake-up connection), then the client.
      await lock.close();
    }
  } finally {
    await backend.close();
  }
}

module.exports = { runScenario };
