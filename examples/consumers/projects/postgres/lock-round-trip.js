// Shared by the entries (main.* on node-postgres, js.* on postgres.js): the same round trip
// through whichever build and client the entry loaded. Plain JavaScript, so both module systems
// can use it (the CJS entries require it, the ESM ones through createRequire).
const url = process.env.SYNCGUARD_POSTGRES_URL;
if (!url) throw new Error("SYNCGUARD_POSTGRES_URL is not set");
module.exports.url = url;

module.exports.roundTrip = async function roundTrip({ client, end, syncguard, format, resolved }) {
  const pool = client;
  const schema = `consumer_${format}_${process.pid}`;
  const check = (ok, what) => {
    if (!ok) throw new Error(`round trip failed: ${what}`);
  };
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
    // A waiter with a 10 s retry delay: only the LISTEN/NOTIFY wake-up gets it in soon.
    const lock = syncguard.createLock(pool, { schema });
    let releasedAt = Number.NaN;
    const waiting = lock(async ({ fence }) => ({ fence, wakeMs: performance.now() - releasedAt }), {
      key,
      timeoutMs: 20_000,
      retryDelayMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 200));
    releasedAt = performance.now(); // the wake-up time counts from the release
    check((await backend.release({ lockId: first.lockId })).ok, "release");
    const woken = await waiting;
    check(woken.fence > first.fence, "fence increases");
    await backend.close();
    await (pool.query
      ? pool.query(`DROP SCHEMA "${schema}" CASCADE`)
      : pool.unsafe(`DROP SCHEMA "${schema}" CASCADE`));
    console.log(
      JSON.stringify({ ok: true, format, resolved, fence: woken.fence, wakeMs: woken.wakeMs }),
    );
  } finally {
    await end();
  }
};
