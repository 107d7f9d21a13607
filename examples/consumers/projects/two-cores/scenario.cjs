// The checks both two-core projects run: `core` is the app's copy of @syncguard/core (the one it
// imports), `redis` the @syncguard/redis it loaded, which works on another copy of core (a nested
// install of another version, or the other module format). `otherCore` is that other copy.
const { performance } = require("node:perf_hooks");

/** Long enough that only a wake-up can run the waiter soon: its first retry comes this late. */
const RETRY_DELAY_MS = 10_000;
const WAKE_BOUND_MS = 5_000;
const quiet = { warn() {}, error() {} };

function check(ok, what) {
  if (!ok) throw new Error(`check failed: ${what}`);
}

async function until(condition, what, deadlineMs = 10_000) {
  const end = performance.now() + deadlineMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function lockRoundTrip(core, backend, key) {
  const fence = await core.createLock(backend)(({ fence }) => fence, { key, ttlMs: 5_000 });
  check(/^\d{15}$/.test(fence), `lock() ran fn with a fence (got ${JSON.stringify(fence)})`);
  check(!(await backend.isLocked({ key })), "lock() released the key");
  return fence;
}

/** A waiter woken by the release (its retry comes 10 s later): the engine's wait queue works. */
async function handOff(core, backend, key) {
  const holder = await backend.acquire({ key, ttlMs: 30_000 });
  check(holder.ok, "holder acquire");
  const events = [];
  const t0 = performance.now();
  const waiter = core.createLock(backend)(() => performance.now() - t0, {
    key,
    ttlMs: 5_000,
    timeoutMs: 20_000,
    retryDelayMs: RETRY_DELAY_MS,
    jitter: "none",
    onEvent: (event) => events.push(event),
  });
  waiter.catch(() => {}); // awaited below
  // Two turned-away attempts: the second comes once the waiter listens for the release.
  await until(
    () => events.filter((e) => e.type === "contended").length >= 2,
    "the waiter to listen",
  );
  const releasedAtMs = performance.now() - t0;
  check((await backend.release({ lockId: holder.lockId })).ok, "holder release");
  const wakeMs = Math.round((await waiter) - releasedAtMs);
  check(wakeMs < WAKE_BOUND_MS, `the waiter was woken by the release (ran ${wakeMs} ms after it)`);
  return wakeMs;
}

async function forced(core, backend, key) {
  const held = await backend.acquire({ key, ttlMs: 30_000 });
  check(held.ok, "acquire before forceRelease");
  const page = await core.listLocks(backend, { prefix: key });
  check(page.locks.length === 1 && page.locks[0].key === key, "listLocks sees the lock");
  const result = await core.forceRelease(backend, key, { logger: quiet });
  check(result.released === true && result.fence === held.fence, "forceRelease deleted it");
  check(!(await backend.isLocked({ key })), "free after forceRelease");
}

/** Errors the backend raises (its copy of core) are LockErrors to the app's copy, and back. */
async function errors(core, otherCore, backend) {
  const error = await backend.acquire({ key: "", ttlMs: 1_000 }).catch((e) => e);
  check(error instanceof core.LockError, "instanceof LockError, for the backend's error");
  check(core.LockError.is(error, "InvalidArgument"), "LockError.is, for the backend's error");
  check(core.isLockError(error, "InvalidArgument"), "isLockError, for the backend's error");
  check(!(error instanceof Error) || error.constructor !== core.LockError, "really another class");
  const ours = new core.LockError("Internal", "made by the app's copy");
  check(ours instanceof otherCore.LockError, "the other copy recognises the app's LockError");
  check(otherCore.LockError.is(ours, "Internal"), "and its LockError.is does");
}

/**
 * A one-off transient error from the backend's copy is retried by the app's lock(): the backend
 * refuses a client that is not connected yet (ServiceUnavailable); lock() keeps trying until it is.
 */
async function transient(core, redis, createClient, url, key) {
  const client = createClient({ url });
  client.on("error", () => {});
  const backend = redis.createRedisBackend(client);
  const events = [];
  const running = core.createLock(backend)(() => "ran", {
    key,
    timeoutMs: 10_000,
    retryDelayMs: 50,
    onEvent: (event) => events.push(event),
  });
  running.catch(() => {}); // awaited below
  const first = await backend.acquire({ key: `${key}:probe`, ttlMs: 1_000 }).catch((e) => e);
  check(
    core.LockError.is(first, "ServiceUnavailable"),
    `a client not connected is ServiceUnavailable (got ${first?.code ?? first})`,
  );
  await client.connect();
  check((await running) === "ran", "lock() retried until the client was up");
  const acquired = events.find((e) => e.type === "acquired");
  check(
    acquired && acquired.attempts >= 2,
    `it took more than one attempt (${acquired?.attempts})`,
  );
  await backend.close();
  client.destroy();
  return acquired.attempts;
}

async function runScenario({ core, otherCore, redis, createClient, url, name }) {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  const backend = redis.createRedisBackend(client, { keyPrefix: `two-cores:${name}` });
  try {
    const base = `${name}:${process.pid}`;
    const fence = await lockRoundTrip(core, backend, `${base}:lock`);
    const wakeMs = await handOff(core, backend, `${base}:handoff`);
    await forced(core, backend, `${base}:forced`);
    await errors(core, otherCore, backend);
    const attempts = await transient(core, redis, createClient, url, `${base}:transient`);
    return { fence, wakeMs, transientAttempts: attempts };
  } finally {
    await backend.close();
    client.destroy();
  }
}

module.exports = { runScenario };
