import { createLock } from "@syncguard/core";
import { createRedisBackend } from "../src";
import { ROUTES } from "../src/keys";
import { connectTarget, MODES, type Mode, type Target, waitFor } from "./helpers/services";

// Issue 15: what SyncGuard leaves in Redis once every lock has expired must not grow with the
// number of distinct keys ever locked. Records and queues expire; fence counters are one per
// route, never deleted, so at most ROUTES keys remain per prefix whatever the number of keys.

const DISTINCT_KEYS = 30_000;
const IN_FLIGHT = 256;

/** Every key under the prefix, on every node. */
async function keysUnder(target: Target, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of target.nodes) {
    for await (const batch of node.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1_000 })) {
      found.push(...batch);
    }
  }
  return found;
}

describe.each(MODES)("Redis memory is bounded by live locks (%s)", (mode: Mode) => {
  let target: Target;
  beforeAll(async () => {
    target = await connectTarget(mode);
  });
  afterAll(async () => {
    await target.close();
  });

  it(`leaves at most ${ROUTES} fence counters after ${DISTINCT_KEYS} distinct keys expired`, async () => {
    const prefix = `sgbound-${process.pid}-${Date.now()}`;
    const backend = createRedisBackend(target.backendClient, { keyPrefix: prefix });
    // Some waited-on locks, so wait queues and hand-off reservations exist too.
    const lock = createLock(backend);
    const contended = Array.from({ length: 20 }, (_, i) =>
      lock(() => new Promise((resolve) => setTimeout(resolve, 5)), { key: `hot:${i % 4}` }),
    );
    let next = 0;
    const worker = async () => {
      while (next < DISTINCT_KEYS) {
        const key = `payment:${next++}`;
        const result = await backend.acquire({ key, ttlMs: 100 });
        expect(result.ok).toBe(true);
      }
    };
    await Promise.all([...Array.from({ length: IN_FLIGHT }, worker), ...contended]);
    // Far more keys than the bound were live at once (the first ones have expired by now).
    expect((await keysUnder(target, prefix)).length).toBeGreaterThan(ROUTES);

    // Records live ttl + 1 s tolerance; then only the counters may remain.
    let left: string[] = [];
    await waitFor(async () => {
      left = await keysUnder(target, prefix);
      return left.every((name) => name.endsWith(":fence"));
    }, 15_000);
    expect(left.length).toBeLessThanOrEqual(ROUTES);
    expect(new Set(left).size).toBe(left.length);
    for (const name of left) expect(await target.client.pTTL(name)).toBe(-1);
    await backend.close();
  }, 120_000);
});
