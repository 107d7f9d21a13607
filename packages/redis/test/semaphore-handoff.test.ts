import { acquirePermit, createLock } from "@syncguard/core";
import { generateLockId, keyTag } from "@syncguard/core/driver";
import { createRedisBackend, type RedisBackend } from "../src";
import { createRedisDriver } from "../src/backend";
import { connectTarget, MODES, type Target, uniqueKey, waitFor } from "./helpers/services";

// Semaphores hand released permits on in arrival order between separate clients (as separate
// processes would be): waiters are queued in Redis and a release reserves the permit for the
// oldest (ADR-039).
describe.each(MODES)("semaphore hand-off (%s)", (mode) => {
  const targets: Target[] = [];
  const backends: RedisBackend[] = [];
  const newBackend = async () => {
    const target = await connectTarget(mode);
    targets.push(target);
    const backend = createRedisBackend(target.backendClient, {
      keyPrefix: `sem-handoff-${process.pid}`,
    });
    backends.push(backend);
    return {
      backend,
      driver: createRedisDriver(target.backendClient, { keyPrefix: `sem-handoff-${process.pid}` }),
    };
  };
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()));
    await Promise.all(targets.map((t) => t.close()));
  });

  it("serves permit waiters from different clients in arrival order", async () => {
    const holder = await newBackend();
    const waiters = [await newBackend(), await newBackend(), await newBackend()];
    const key = uniqueKey("sem-order");
    const held = await acquirePermit(holder.backend, { key, permits: 1, ttlMs: 20_000 });
    const order: number[] = [];
    const attempts = [0, 0, 0];
    const running: Promise<unknown>[] = [];
    for (const [i, { backend }] of waiters.entries()) {
      running.push(
        createLock(backend).semaphore(
          async () => {
            order.push(i);
            await new Promise((r) => setTimeout(r, 20));
          },
          {
            key,
            permits: 1,
            retryDelayMs: 5_000,
            maxRetryDelayMs: 5_000,
            timeoutMs: 20_000,
            onEvent: (event) => {
              if (event.type === "contended") attempts[i] = (attempts[i] ?? 0) + 1;
            },
          },
        ),
      );
      // Queued (turned away once it listens) before the next one comes.
      await waitFor(() => (attempts[i] ?? 0) >= 2, 5_000, 2);
    }
    await held.release();
    await Promise.all(running);
    expect(order).toEqual([0, 1, 2]);
  });

  it("a released permit is kept for the queued waiter: a newcomer is turned away meanwhile", async () => {
    const [holder, queued, latecomer] = [
      await newBackend(),
      await newBackend(),
      await newBackend(),
    ];
    const key = uniqueKey("sem-reserved");
    const held = await acquirePermit(holder.backend, { key, permits: 1, ttlMs: 20_000 });
    const waiter = { id: "queued-waiter", timeoutMs: 10_000, budgetMs: 10_000 };
    const attempt = () =>
      queued.driver.permits!.acquire({
        key,
        tag: keyTag(key),
        ttlMs: 5_000,
        lockId: generateLockId(key),
        permits: 1,
        waiter,
      });
    expect(await attempt()).toMatchObject({ acquired: false });
    await held.release();
    const refused = latecomer.driver.permits!.acquire({
      key,
      tag: keyTag(key),
      ttlMs: 5_000,
      lockId: generateLockId(key),
      permits: 1,
    });
    expect(await refused).toMatchObject({ acquired: false });
    expect(await attempt()).toMatchObject({ acquired: true });
  });

  it("a waiter that gives up while a permit is reserved for it passes the permit to the next waiter", async () => {
    const [holder, first, second, latecomer] = [
      await newBackend(),
      await newBackend(),
      await newBackend(),
      await newBackend(),
    ];
    const key = uniqueKey("sem-withdraw");
    const held = await acquirePermit(holder.backend, { key, permits: 1, ttlMs: 20_000 });
    const attempt = (driver: typeof first.driver, id?: string) =>
      driver.permits!.acquire({
        key,
        tag: keyTag(key),
        ttlMs: 5_000,
        lockId: generateLockId(key),
        permits: 1,
        ...(id ? { waiter: { id, timeoutMs: 10_000, budgetMs: 10_000 } } : {}),
      });
    const quitter = { id: "first-waiter", timeoutMs: 10_000, budgetMs: 10_000 };
    expect(await attempt(first.driver, quitter.id)).toMatchObject({ acquired: false });
    expect(await attempt(second.driver, "second-waiter")).toMatchObject({ acquired: false });
    await held.release(); // reserved for the first waiter, who gives up
    await first.driver.permits!.withdraw!({ key, waiter: quitter });
    expect(await attempt(latecomer.driver)).toMatchObject({ acquired: false });
    expect(await attempt(second.driver, "second-waiter")).toMatchObject({ acquired: true });
  });

  it("a queued waiter that gives up is not handed the next released permit", async () => {
    const [holder, quitter, latecomer] = [
      await newBackend(),
      await newBackend(),
      await newBackend(),
    ];
    const key = uniqueKey("sem-withdraw-queued");
    const held = await acquirePermit(holder.backend, { key, permits: 1, ttlMs: 20_000 });
    const waiter = { id: "quitting-waiter", timeoutMs: 10_000, budgetMs: 10_000 };
    const queued = await quitter.driver.permits!.acquire({
      key,
      tag: keyTag(key),
      ttlMs: 5_000,
      lockId: generateLockId(key),
      permits: 1,
      waiter,
    });
    expect(queued).toMatchObject({ acquired: false });
    await quitter.driver.permits!.withdraw!({ key, waiter });
    await held.release();
    const late = await latecomer.driver.permits!.acquire({
      key,
      tag: keyTag(key),
      ttlMs: 5_000,
      lockId: generateLockId(key),
      permits: 1,
    });
    expect(late).toMatchObject({ acquired: true });
  });
});
