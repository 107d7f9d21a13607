import type { Pool } from "pg";
import { createPostgresBackend, type PostgresBackend } from "../src";
import { uniqueKey, useSchema, waitFor } from "./helpers";

let pool: Pool;
let schema: string;
let backend: PostgresBackend;
let other: PostgresBackend;
useSchema("wake", (created, name) => {
  pool = created;
  schema = name;
  backend = createPostgresBackend(pool, { schema });
  other = createPostgresBackend(pool, { schema });
});
afterAll(async () => {
  await backend?.close();
  await other?.close();
});

/** Counts calls of a release listener. */
function counter() {
  const calls = { n: 0 };
  return { calls, listener: () => void calls.n++ };
}

it("a release by another backend instance wakes a subscriber of that key", async () => {
  const key = uniqueKey("wake");
  const held = await other.acquire({ key, ttlMs: 30_000 });
  if (!held.ok) throw new Error("expected to acquire");
  const { calls, listener } = counter();
  const stop = await backend.subscribe!(key, listener);
  // Turned away after subscribing: only a release that turned an attempt away is announced.
  expect((await backend.acquire({ key, ttlMs: 30_000 })).ok).toBe(false);
  await other.release({ lockId: held.lockId });
  await waitFor(() => calls.n > 0);
  stop();
});

it("when the listening connection breaks, it listens again and subscribers are woken once it does", async () => {
  const first = uniqueKey("broken");
  const { calls, listener } = counter();
  const stop = await backend.subscribe!(first, listener);
  const ended = await pool.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE query LIKE 'LISTEN "syncguard_release_%' AND pid <> pg_backend_pid()`,
  );
  expect(ended.rowCount).toBeGreaterThan(0);
  await waitFor(() => calls.n > 0);
  stop();

  const second = uniqueKey("relisten");
  const held = await other.acquire({ key: second, ttlMs: 30_000 });
  if (!held.ok) throw new Error("expected to acquire");
  const again = counter();
  const stopAgain = await backend.subscribe!(second, again.listener);
  expect((await backend.acquire({ key: second, ttlMs: 30_000 })).ok).toBe(false);
  await other.release({ lockId: held.lockId });
  await waitFor(() => again.calls.n > 0);
  stopAgain();
});

it("the listening connection is closed once nothing is watched", async () => {
  const key = uniqueKey("idle");
  const stop = await backend.subscribe!(key, () => {});
  const listening = () =>
    pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE query LIKE 'LISTEN "syncguard_release_%' AND state = 'idle'`,
    );
  expect((await listening()).rows[0].n).toBeGreaterThan(0);
  stop();
  // After the linger the listener's own connection is ended: no session is left listening.
  await waitFor(async () => (await listening()).rows[0].n === 0, 5_000);
});
