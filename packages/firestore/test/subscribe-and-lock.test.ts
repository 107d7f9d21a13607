import type { Firestore } from "@google-cloud/firestore";
import { isLockError } from "@syncguard/core";
import { createFirestoreBackend, createLock } from "../src";
import { eventually, freshBackend, freshCollections, sleep, useEmulatorProject } from "./helpers";

let db: Firestore;
useEmulatorProject("wake", (created: Firestore) => {
  db = created;
});

describe("subscribe (wake-on-release)", () => {
  it("a listener hears release and extend, not the key being taken", async () => {
    const { backend } = freshBackend(db);
    let calls = 0;
    const unsubscribe = await backend.subscribe("job", () => calls++);
    const held = await backend.acquire({ key: "job", ttlMs: 10_000 });
    if (!held.ok) throw new Error("expected the lock");
    await sleep(300);
    expect(calls).toBe(0); // a free key being taken wakes nobody
    await backend.extend({ lockId: held.lockId, ttlMs: 20_000 });
    await eventually(() => calls === 1);
    const releasedAt = Date.now();
    await backend.release({ lockId: held.lockId });
    await eventually(() => calls === 2);
    console.log(`release seen by the listener ${Date.now() - releasedAt} ms after release() began`);
    unsubscribe();
    unsubscribe(); // idempotent
    await backend.close();
  });

  it("one listener per key is shared; the last unsubscribe stops it; close() stops all", async () => {
    const names = freshCollections("wake");
    const backend = createFirestoreBackend(db, names);
    const other = createFirestoreBackend(db, names);
    let a = 0;
    let b = 0;
    const stopA = await backend.subscribe("k", () => a++);
    const stopB = await backend.subscribe("k", () => b++);
    const first = await other.acquire({ key: "k", ttlMs: 10_000 });
    if (!first.ok) throw new Error("expected the lock");
    stopA();
    await other.release({ lockId: first.lockId });
    await eventually(() => b === 1);
    expect(a).toBe(0);
    stopB();
    await backend.close();
    await expect(backend.subscribe("k", () => undefined)).rejects.toMatchObject({
      code: "ServiceUnavailable",
    });
  });
});

describe("createLock(db)", () => {
  it("runs the seed's quick-start shape and returns fn's value", async () => {
    const lock = createLock(db, freshCollections("quick"));
    const value = await lock(async () => "charged", { key: "payment:1", ttlMs: 30_000 });
    expect(value).toBe("charged");
  });

  it("hands fn the fence; a waiter is woken by the release and runs next", async () => {
    const names = freshCollections("handoff");
    const lockA = createLock(db, names);
    const lockB = createLock(db, { ...names, retryDelayMs: 2000, timeoutMs: 20_000 });
    const order: string[] = [];
    let releasedAt = 0;
    const first = lockA(
      async ({ fence }) => {
        order.push(`a:${fence}`);
        await sleep(500);
        releasedAt = Date.now();
      },
      { key: "shared" },
    );
    await sleep(100);
    const second = lockB(
      async ({ fence }) => {
        order.push(`b:${fence}`);
        return Date.now() - releasedAt;
      },
      { key: "shared" },
    );
    await first;
    const gap = await second;
    expect(order).toEqual(["a:000000000000001", "b:000000000000002"]);
    // Woken by the snapshot listener, well before its 2 s retry delay would have elapsed.
    expect(gap).toBeLessThan(1500);
    console.log(`handoff gap with wake-on-release: ${gap} ms (retry delay 2000 ms)`);
  });

  it("times out with AcquisitionTimeout while the key stays held", async () => {
    const names = freshCollections("timeout");
    const holder = createFirestoreBackend(db, names);
    await holder.acquire({ key: "busy", ttlMs: 30_000 });
    const lock = createLock(db, names);
    const error = await lock(async () => undefined, {
      key: "busy",
      timeoutMs: 600,
      retryDelayMs: 50,
    }).catch((e: unknown) => e);
    expect(isLockError(error, "AcquisitionTimeout")).toBe(true);
  });
});
