import type { Firestore } from "@google-cloud/firestore";
import { forceRelease, isLockError } from "@syncguard/core";
import { isStaleFenceError } from "@syncguard/core/driver";
import { assertFenceInTransaction } from "../src";
import { freshBackend, useEmulatorProject } from "./helpers";

let db: Firestore;
useEmulatorProject("fenceguard", (created: Firestore) => {
  db = created;
});

describe("assertFenceInTransaction", () => {
  /** The caller's own fenced write, as the README shows it. */
  const writeBalance = (path: string, balance: number, fence: string) =>
    db.runTransaction(async (tx) => {
      const ref = db.doc(path);
      await assertFenceInTransaction(tx, ref, fence);
      tx.set(ref, { balance, fence }, { merge: true });
    });

  it("refuses a stale holder's write after a takeover; nothing is written", async () => {
    const { backend } = freshBackend(db);
    const path = `accounts/acct-${Date.now()}`;
    const stale = await backend.acquire({ key: path, ttlMs: 30_000 });
    if (!stale.ok) throw new Error("expected to acquire");
    await writeBalance(path, 10, stale.fence); // no fence recorded yet: passes
    await forceRelease(backend, path); // the holder hung; an operator cleared it
    const fresh = await backend.acquire({ key: path, ttlMs: 30_000 });
    if (!fresh.ok) throw new Error("expected the takeover");
    await writeBalance(path, 20, fresh.fence);
    await writeBalance(path, 25, fresh.fence); // the same holder again
    const refused = await writeBalance(path, 99, stale.fence).catch((e: unknown) => e);
    expect(isStaleFenceError(refused)).toBe(true);
    expect(refused).toMatchObject({ fence: stale.fence, lastFence: fresh.fence });
    expect((await db.doc(path).get()).data()).toEqual({ balance: 25, fence: fresh.fence });
    await backend.release({ lockId: fresh.lockId });
  });

  it("reads the fence from a field of your choice and refuses bad input before reading", async () => {
    const ref = db.doc(`orders/o-${Date.now()}`);
    await ref.set({ status: "paid", writtenBy: "000000000000007" });
    const older = await db
      .runTransaction((tx) =>
        assertFenceInTransaction(tx, ref, "000000000000006", { field: "writtenBy" }),
      )
      .catch((e: unknown) => e);
    expect(isStaleFenceError(older)).toBe(true);
    for (const [fence, options] of [
      ["6", {}],
      ["000000000000008", { field: "" }],
    ] as const) {
      const error = await db
        .runTransaction((tx) => assertFenceInTransaction(tx, ref, fence, options))
        .catch((e: unknown) => e);
      expect(isLockError(error, "InvalidArgument")).toBe(true);
    }
  });
});
