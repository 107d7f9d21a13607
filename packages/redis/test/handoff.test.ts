import { createLock } from "@syncguard/core";
import { createRedisBackend, type RedisBackend } from "../src";
import { layoutForKey } from "../src/keys";
import { HANDOFF_WINDOW_MS } from "../src/operations/release";
import { connectTarget, MODES, type Target, uniqueKey, waitFor } from "./helpers/services";

// Fair hand-off between separate clients (as separate processes would be): waiters are queued in
// Redis, a release reserves the key for the oldest and wakes only that one.
describe.each(MODES)("queued hand-off (%s)", (mode) => {
  const targets: Target[] = [];
  const backends: RedisBackend[] = [];
  const newBackend = async () => {
    const target = await connectTarget(mode);
    targets.push(target);
    const backend = createRedisBackend(target.backendClient, {
      keyPrefix: `handoff-${process.pid}`,
    });
    backends.push(backend);
    return backend;
  };
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await Promise.all(targets.map((t) => t.close()));
  });

  it("serves waiters from different clients in arrival order, waking one per release", async () => {
    const holder = await newBackend();
    const waiters = [await newBackend(), await newBackend(), await newBackend()];
    const key = uniqueKey("order");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    const order: number[] = [];
    const attempts = [0, 0, 0];
    const running: Promise<unknown>[] = [];
    for (const [i, backend] of waiters.entries()) {
      running.push(
        createLock(backend)(
          async () => {
            order.push(i);
            await new Promise((r) => setTimeout(r, 20));
          },
          {
            key,
            retryDelayMs: 5_000,
            maxRetryDelayMs: 5_000,
            timeoutMs: 20_000,
            onEvent: (event) => {
              if (event.type === "contended" || event.type === "acquired")
                attempts[i] = (attempts[i] ?? 0) + 1;
            },
          },
        ),
      );
      // Each waiter is queued (first attempt + one after subscribing) before the next starts.
      await waitFor(() => (attempts[i] ?? 0) >= 2, 5_000, 2);
    }
    await holder.release({ lockId: held.lockId });
    await Promise.all(running);
    expect(order).toEqual([0, 1, 2]);
    // Two queued attempts before the release, then one winning attempt: nobody woke in vain.
    expect(attempts).toEqual([3, 3, 3]);
  });

  it("a fresh caller cannot take a key reserved for a queued waiter", async () => {
    const [holder, queued, latecomer] = [
      await newBackend(),
      await newBackend(),
      await newBackend(),
    ];
    const key = uniqueKey("reserved");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    const waiter = { id: "queued-waiter", timeoutMs: 10_000 };
    expect(await queued.acquire({ key, ttlMs: 5_000, waiter })).toMatchObject({ ok: false });
    await holder.release({ lockId: held.lockId });
    const refused = await latecomer.acquire({ key, ttlMs: 5_000 });
    expect(refused).toMatchObject({ ok: false, reason: "locked" });
    expect(refused.ok ? 0 : refused.holder?.remainingMs).toBeLessThanOrEqual(HANDOFF_WINDOW_MS);
    expect(await queued.acquire({ key, ttlMs: 5_000, waiter })).toMatchObject({ ok: true });
  });

  it("a queued waiter leaves the queue when it takes an expired key (no hand-off)", async () => {
    const [holder, waiting] = [await newBackend(), await newBackend()];
    const key = uniqueKey("dequeue");
    const queueSize = () =>
      (targets[0] as Target).client.zCard(layoutForKey(`handoff-${process.pid}`, key).queue);
    // Held briefly and never released: the waiter gets in by expiry, not by a hand-off.
    if (!(await holder.acquire({ key, ttlMs: 100 })).ok) throw new Error("setup");
    const waiter = { id: "dequeue-waiter", timeoutMs: 10_000 };
    const first = await waiting.acquire({
      key,
      ttlMs: 5_000,
      waiter: { ...waiter, firstAttempt: true },
    });
    expect(first).toMatchObject({ ok: false });
    expect(await queueSize()).toBe(1);
    await waitFor(async () => (await waiting.acquire({ key, ttlMs: 5_000, waiter })).ok, 5_000);
    expect(await queueSize()).toBe(0);
  });

  it("a waiter that never comes back blocks the key for one hand-off window at most", async () => {
    const [holder, ghost, other] = [await newBackend(), await newBackend(), await newBackend()];
    const key = uniqueKey("ghost");
    const held = await holder.acquire({ key, ttlMs: 20_000 });
    if (!held.ok) throw new Error("setup");
    await ghost.acquire({ key, ttlMs: 5_000, waiter: { id: "ghost", timeoutMs: 30_000 } });
    await holder.release({ lockId: held.lockId });
    const started = Date.now();
    const ranAt = await createLock(other)(() => Date.now(), { key, retryDelayMs: 50 });
    expect(ranAt - started).toBeLessThan(HANDOFF_WINDOW_MS + 1_000);
  });
});
