import { acquirePermit } from "@syncguard/core";
import { generateLockId, keyTag, type PermitDriver, type WaiterInfo } from "@syncguard/core/driver";
import {
  createPostgresBackend,
  type PgClientLike,
  type PostgresBackend,
  setupSchema,
} from "../src";
import { createPostgresDriver } from "../src/backend";
import { semaphoreName } from "../src/semaphore-name";
import { NOW_MS } from "../src/storage";
import { clientKinds, freshSchema, newPool, uniqueKey, waitFor } from "./helpers";

// The permit queue (schema version 4) at the driver's level, between separate clients (as
// separate processes would be): a release reserves the freed permit for the oldest waiter still
// within its budget, and a waiter that gives up leaves the queue and passes a reservation on.
describe.each(clientKinds)("permit queue (%s)", (_kind, connect) => {
  const schema = freshSchema("permitq");
  const admin = newPool(2);
  const ends: (() => Promise<void>)[] = [];
  const backends: PostgresBackend[] = [];
  /** A backend and its driver's permits on a client of their own. */
  const newParty = async () => {
    const { client, end } = await connect(4);
    ends.push(end);
    const backend = createPostgresBackend(client, { schema });
    backends.push(backend);
    const driver = createPostgresDriver(client as PgClientLike, { schema });
    const permits = driver.permits as PermitDriver;
    /** One attempt as core's engine makes it for a queued waiter (or, without one, a newcomer). */
    const attempt = (key: string, waiter?: WaiterInfo) =>
      permits.acquire({
        key,
        tag: keyTag(key),
        ttlMs: 5_000,
        lockId: generateLockId(key),
        permits: 1,
        ...(waiter ? { waiter } : {}),
      });
    return { backend, driver, permits, attempt };
  };
  const waiter = (id: string, timeoutMs = 10_000): WaiterInfo => ({
    id,
    timeoutMs,
    budgetMs: timeoutMs,
  });
  const queued = async (key: string) =>
    (
      await admin.query(
        `SELECT waiter FROM "${schema}".syncguard_permit_queue WHERE name = $1 ORDER BY arrived_at_ms, waiter`,
        [semaphoreName(key)],
      )
    ).rows.map((row) => row.waiter as string);
  beforeAll(async () => {
    await setupSchema(admin, { schema });
  });
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await Promise.all(ends.map((end) => end()));
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it("a released permit is kept for the oldest waiter: a newcomer is turned away, the waiter takes it and leaves the queue", async () => {
    const [holder, first, second, latecomer] = [
      await newParty(),
      await newParty(),
      await newParty(),
      await newParty(),
    ];
    const key = uniqueKey("reserved");
    const held = await acquirePermit(holder.backend, { key, permits: 1, ttlMs: 20_000 });
    expect(await first.attempt(key, waiter("first"))).toMatchObject({ acquired: false });
    expect(await second.attempt(key, waiter("second"))).toMatchObject({ acquired: false });
    expect(await queued(key)).toEqual(["first", "second"]);
    await held.release();
    expect(await latecomer.attempt(key)).toMatchObject({ acquired: false });
    expect(await second.attempt(key, waiter("second"))).toMatchObject({ acquired: false });
    expect(await first.attempt(key, waiter("first"))).toMatchObject({ acquired: true });
    expect(await queued(key)).toEqual(["second"]);
  });

  it("a waiter that gives up while a permit is reserved for it passes the permit to the next waiter", async () => {
    const [holder, first, second, latecomer] = [
      await newParty(),
      await newParty(),
      await newParty(),
      await newParty(),
    ];
    const key = uniqueKey("withdraw-reserved");
    const held = await acquirePermit(holder.backend, { key, permits: 1, ttlMs: 20_000 });
    expect(await first.attempt(key, waiter("first"))).toMatchObject({ acquired: false });
    expect(await second.attempt(key, waiter("second"))).toMatchObject({ acquired: false });
    await held.release(); // reserved for the first waiter, who gives up
    await first.permits.withdraw?.({ key, waiter: waiter("first") });
    expect(await latecomer.attempt(key)).toMatchObject({ acquired: false });
    expect(await second.attempt(key, waiter("second"))).toMatchObject({ acquired: true });
  });

  it("a queued waiter that gives up leaves the queue and is not handed the next released permit", async () => {
    const [holder, quitter, latecomer] = [await newParty(), await newParty(), await newParty()];
    const key = uniqueKey("withdraw-queued");
    const held = await acquirePermit(holder.backend, { key, permits: 1, ttlMs: 20_000 });
    expect(await quitter.attempt(key, waiter("quitter"))).toMatchObject({ acquired: false });
    await quitter.permits.withdraw?.({ key, waiter: waiter("quitter") });
    expect(await queued(key)).toEqual([]);
    await held.release();
    expect(await latecomer.attempt(key)).toMatchObject({ acquired: true });
  });

  it("a waiter past its budget (dead, or gone without withdrawing) is skipped: the permit goes to the next", async () => {
    const [holder, dead, alive] = [await newParty(), await newParty(), await newParty()];
    const key = uniqueKey("budget");
    const held = await acquirePermit(holder.backend, { key, permits: 1, ttlMs: 20_000 });
    expect(await dead.attempt(key, waiter("dead", 1))).toMatchObject({ acquired: false });
    expect(await alive.attempt(key, waiter("alive"))).toMatchObject({ acquired: false });
    // The dead waiter's budget (1 ms) has run out by the database clock: poll until it has.
    await waitFor(async () => {
      const { rows } = await admin.query(
        `SELECT gives_up_at_ms <= ${NOW_MS} AS lapsed FROM "${schema}".syncguard_permit_queue WHERE waiter = 'dead'`,
      );
      return rows[0]?.lapsed === true;
    }, 5_000);
    await held.release();
    expect(await queued(key)).toEqual([]);
    expect(await alive.attempt(key, waiter("alive"))).toMatchObject({ acquired: true });
  });
});
