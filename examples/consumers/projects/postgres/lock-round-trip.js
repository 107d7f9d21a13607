// Shared by the entries (main.* on node-postgres, js.* on postgres.js): the same round trip
// through whichever build and client the entry loaded. Plain JavaScript, so both module systems
// can use it (the CJS entries require it, the ESM ones through createRequire).
const url = process.env.SYNCGUARD_POSTGRES_URL;
if (!url) throw new Error("SYNCGUARD_POSTGRES_URL is not set");
module.exports.url = url;

/** Long enough that only a wake-up can run the waiter soon: its first retry comes this late. */
const RETRY_DELAY_MS = 10_000;
/** Wake-ups measured: the median of this many is printed. */
const WAKE_SAMPLES = 20;

const check = (ok, what) => {
  if (!ok) throw new Error(`round trip failed: ${what}`);
};

/** Resolves once `condition()` holds, or rejects at the deadline. */
async function until(condition, what, deadlineMs = 5_000) {
  const end = performance.now() + deadlineMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * One wake-up: a holder has the key, a waiter is turned away and waits (its next poll
 * RETRY_DELAY_MS away), the holder releases. Returns the ms from the start of the release to the
 * waiter's fn starting; checks that the waiter took the key with its first attempt after the
 * release (woken, not polling).
 */
async function wakeUp(backend, lock, key) {
  const holder = await backend.acquire({ key, ttlMs: 30_000 });
  check(holder.ok, "holder acquire");
  const events = [];
  const t0 = performance.now();
  const waiter = lock(async ({ fence }) => ({ fence, ranAtMs: performance.now() - t0 }), {
    key,
    timeoutMs: 20_000,
    retryDelayMs: RETRY_DELAY_MS,
    jitter: "none",
    onEvent: (event) => events.push({ ...event, atMs: performance.now() - t0 }),
  });
  waiter.catch(() => {}); // awaited below; keeps a failure here from going unhandled meanwhile
  // The waiter subscribes after its first refusal and is refused once more (that attempt queues
  // it and marks the lock as waited on) before it sleeps.
  const refused = () => events.filter((e) => e.type === "contended");
  await until(() => refused().length > 1, "the waiter to be turned away twice");
  const releasedAtMs = performance.now() - t0; // timed from the start of the release
  check((await backend.release({ lockId: holder.lockId })).ok, "release");
  const { fence, ranAtMs } = await waiter;
  check(fence > holder.fence, "the waiter's fence is above the holder's");
  const turnedAway = refused();
  check(
    turnedAway.every((e) => e.atMs < releasedAtMs) &&
      events.some((e) => e.type === "acquired" && e.attempts === turnedAway.length + 1),
    `one attempt after the release (${JSON.stringify(events)})`,
  );
  return { fence, wakeMs: ranAtMs - releasedAtMs };
}

module.exports.roundTrip = async function roundTrip({
  client,
  end,
  syncguard,
  format,
  resolved,
  migration,
}) {
  const pool = client;
  // The migration a user's tool would apply is the DDL setupSchema runs for the default names.
  check(
    require("node:fs").readFileSync(migration, "utf8") === syncguard.schemaSql(),
    "the shipped migration is schemaSql()",
  );
  const schema = `consumer_${format}_${process.pid}`;
  try {
    await syncguard.setupSchema(pool, { schema });
    const backend = syncguard.createPostgresBackend(pool, { schema });
    const key = `consumer:${format}`;
    const first = await backend.acquire({ key, ttlMs: 10_000 });
    check(first.ok, "first acquire");
    const second = await backend.acquire({ key, ttlMs: 10_000 });
    check(!second.ok && second.reason === "locked", "second acquire must see the lock");
    check(await backend.isLocked({ key }), "isLocked while held");
    check((await backend.extend({ lockId: first.lockId, ttlMs: 20_000 })).ok, "extend");
    check((await backend.release({ lockId: first.lockId })).ok, "release");
    // Wake-ups through LISTEN/NOTIFY, the waiter on a lock() of its own (another backend).
    const lock = syncguard.createLock(pool, { schema });
    // A key per sample: the release that ends one sample (lock() giving its key back) must not
    // wake the next sample's waiter.
    const samples = [];
    for (let i = 0; i < WAKE_SAMPLES; i++) {
      samples.push((await wakeUp(backend, lock, `${key}:wake:${i}`)).wakeMs);
    }
    await backend.close();
    await (pool.query
      ? pool.query(`DROP SCHEMA "${schema}" CASCADE`)
      : pool.unsafe(`DROP SCHEMA "${schema}" CASCADE`));
    const sorted = [...samples].sort((a, b) => a - b);
    const round = (ms) => Math.round(ms * 10) / 10;
    console.log(
      JSON.stringify({
        ok: true,
        format,
        resolved,
        migration,
        fence: first.fence,
        wakeSamples: samples.length,
        wakeP50Ms: round(sorted[Math.floor(sorted.length / 2)]),
        wakeMaxMs: round(sorted[sorted.length - 1]),
        // The first wait of the process, which also opens the listening connection.
        wakeFirstMs: round(samples[0]),
      }),
    );
  } finally {
    await end();
  }
};
