import type { Firestore } from "@google-cloud/firestore";
import { TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import { createFirestoreBackend } from "../src";
import { freshCollections, sleep, useEmulatorProject } from "./helpers";

/**
 * Firestore judges expiry by the client clock. These tests give two clients clocks skewed
 * against each other (injected `clock`) and check the documented guarantees:
 * - skew within the tolerance (each client within ±500 ms, so |a - b| < 1000 ms): a newcomer can
 *   take the lock only after the holder's own clock says it has expired;
 * - skew beyond the tolerance: a newcomer can take a lock its holder still believes valid. This is
 *   detected the documented way: the old holder's extend/release return ok:false, and the new fence
 *   is higher, so a fenced resource rejects the old holder.
 */
let db: Firestore;
useEmulatorProject("skew", (created: Firestore) => {
  db = created;
});

function skewedPair(holderSkewMs: number, newcomerSkewMs: number) {
  const names = freshCollections("skew");
  return {
    holder: createFirestoreBackend(db, { ...names, clock: () => Date.now() + holderSkewMs }),
    newcomer: createFirestoreBackend(db, { ...names, clock: () => Date.now() + newcomerSkewMs }),
  };
}

/** Polls acquire until it succeeds; returns the real time it succeeded and the result. */
async function takeOver(
  backend: ReturnType<typeof createFirestoreBackend>,
  key: string,
  limitMs: number,
) {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    const result = await backend.acquire({ key, ttlMs: 1000 });
    if (result.ok) return { atMs: Date.now(), result };
    await sleep(20);
  }
  throw new Error("never acquired");
}

describe("client clock skew within tolerance (±400 ms)", () => {
  it.each([
    ["holder slow, newcomer fast", -400, 400],
    ["holder fast, newcomer slow", 400, -400],
  ])("%s: never two live holders", async (_label, holderSkew, newcomerSkew) => {
    const { holder, newcomer } = skewedPair(holderSkew, newcomerSkew);
    const ttlMs = 1000;
    const held = await holder.acquire({ key: "k", ttlMs });
    if (!held.ok) throw new Error("expected the lock");
    // The holder may use its lock until expiresAtMs by its own clock: real time expiresAtMs - skew.
    const holderValidUntilReal = held.expiresAtMs - holderSkew;
    const taken = await takeOver(newcomer, "k", 10_000);
    expect(taken.atMs).toBeGreaterThanOrEqual(holderValidUntilReal);
    expect(BigInt(taken.result.ok ? taken.result.fence : "0")).toBeGreaterThan(BigInt(held.fence));
  });

  it("a holder extending on time keeps the lock against a fast newcomer", async () => {
    const { holder, newcomer } = skewedPair(-400, 400);
    const held = await holder.acquire({ key: "k2", ttlMs: 1000 });
    if (!held.ok) throw new Error("expected the lock");
    for (let i = 0; i < 4; i++) {
      await sleep(300);
      expect(await holder.extend({ lockId: held.lockId, ttlMs: 1000 })).toMatchObject({ ok: true });
      expect(await newcomer.acquire({ key: "k2", ttlMs: 1000 })).toMatchObject({ ok: false });
    }
    expect(await holder.release({ lockId: held.lockId })).toEqual({ ok: true });
  });
});

describe("client clock skew beyond tolerance (documented failure mode)", () => {
  it("a holder whose clock runs 1.5 s slow sees its lock taken before its own expiry; fencing and extend reveal it", async () => {
    const skew = TIME_TOLERANCE_MS + 500;
    const { holder, newcomer } = skewedPair(-skew, 0);
    const held = await holder.acquire({ key: "k3", ttlMs: 2000 });
    if (!held.ok) throw new Error("expected the lock");
    const taken = await takeOver(newcomer, "k3", 10_000);
    if (!taken.result.ok) throw new Error("unreachable");
    // By its own clock the old holder still had time left when the newcomer got in.
    const holderClockAtTakeover = taken.atMs - skew;
    expect(holderClockAtTakeover).toBeLessThan(held.expiresAtMs);
    // Detection: the old holder can no longer extend or release, and the new fence is higher.
    expect(await holder.extend({ lockId: held.lockId, ttlMs: 2000 })).toEqual({ ok: false });
    expect(await holder.release({ lockId: held.lockId })).toEqual({ ok: false });
    expect(taken.result.fence > held.fence).toBe(true);
    expect(await newcomer.release({ lockId: taken.result.lockId })).toEqual({ ok: true });
  });
});
