import { createLock, isLockError, type LockError, whenIdle } from "@syncguard/core";
import { createFirestoreBackend } from "../src";
import { freshCollections, newDb, projectIdFor, warmUp } from "./helpers";

/**
 * The Firestore SDK (7.x, 8.x) sends a read one timer turn after it was started, and on a
 * terminated client it drops the refusal: an unhandled rejection (the end of the process under
 * Node's default; jest fails the test that sees one) and a read that never settles. The backend
 * must never start a read on a terminated client, and `close()` must leave none in the client, so
 * terminating right after it is safe (issue 25, item 6).
 */
const projectId = projectIdFor("terminated");
/** The SDK sends a read one timer turn after it starts: two turns and its refusal has surfaced. */
const twoTimerTurns = async () => {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
};

it("on a terminated client every operation fails at once with ServiceUnavailable and starts no read", async () => {
  const db = newDb(projectId);
  await warmUp(db);
  const backend = createFirestoreBackend(db, {
    ...freshCollections("term"),
    operationTimeoutMs: 5_000,
  });
  const held = await backend.acquire({ key: "held", ttlMs: 1_000 });
  if (!held.ok) throw new Error("setup");
  await db.terminate();

  const started = performance.now();
  const calls: Array<[string, Promise<unknown>]> = [
    ["acquire", backend.acquire({ key: "k", ttlMs: 1_000 })],
    ["release", backend.release({ lockId: held.lockId })],
    ["extend", backend.extend({ lockId: held.lockId, ttlMs: 1_000 })],
    ["isLocked", backend.isLocked({ key: "k" })],
    ["lookup", backend.lookup({ key: "k" })],
    ["subscribe", backend.subscribe("k", () => undefined)],
    // lock() retries ServiceUnavailable within its budget, then reports it.
    ["lock", createLock(backend)(() => "ran", { key: "k", timeoutMs: 300, retryDelayMs: 50 })],
  ];
  for (const [name, call] of calls) {
    const error = (await call.catch((e: unknown) => e)) as LockError;
    expect({ name, code: isLockError(error) ? error.code : String(error) }).toEqual({
      name,
      code: "ServiceUnavailable",
    });
    expect(error.message).toMatch(/terminated/);
  }
  // Nothing waited for operationTimeoutMs: no read was started.
  expect(performance.now() - started).toBeLessThan(5_000);
  await twoTimerTurns();
});

it("close() waits for the reads still in the client: terminating right after it is clean", async () => {
  const db = newDb(projectId);
  await warmUp(db);
  const backend = createFirestoreBackend(db, freshCollections("close"));
  const lock = createLock(backend);
  // Acquisitions aborted at once: each answers Aborted while its first read is still in the SDK.
  const aborted = Array.from({ length: 8 }, (_, i) => {
    const controller = new AbortController();
    const call = lock(() => "ran", { key: `k${i}`, ttlMs: 1_000, signal: controller.signal });
    controller.abort();
    return call.catch((e: unknown) => e);
  });
  for (const error of await Promise.all(aborted)) expect(isLockError(error, "Aborted")).toBe(true);
  await backend.close();
  await db.terminate();
  await twoTimerTurns();
  // After close() the backend refuses calls without sending them.
  await expect(backend.isLocked({ key: "k0" })).rejects.toMatchObject({
    code: "ServiceUnavailable",
    message: expect.stringMatching(/closed/),
  });
  expect(await whenIdle(backend, { timeoutMs: 10_000 })).toBe(true);
});
