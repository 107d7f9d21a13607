/**
 * Sentinel through ioredis: a throwaway primary and one redis-sentinel (the same redis-server
 * binary in sentinel mode) on free ports. The client finds the primary through the sentinel; the
 * backend's wake-up connection, a duplicate, does the same.
 */
import { createLock } from "@syncguard/core";
import { Redis as Ioredis6 } from "ioredis";
import { Redis as Ioredis5 } from "ioredis5";
import { Redis as Iovalkey } from "iovalkey";
import { createRedisBackend, DEFAULT_KEY_PREFIX } from "../src";
import { layoutForKey } from "../src/keys";
import { type RedisProcess, startRedis } from "./helpers/process";
import { type Sentinel, startSentinel } from "./helpers/sentinels";
import { uniqueKey, waitFor } from "./helpers/services";

const MASTER_NAME = "sgprimary";

const viaSentinel = (port: number) => ({
  sentinels: [{ host: "127.0.0.1", port }],
  name: MASTER_NAME,
  lazyConnect: true,
});

describe.each([
  ["ioredis 6", (port: number) => new Ioredis6(viaSentinel(port))],
  ["ioredis 5", (port: number) => new Ioredis5(viaSentinel(port))],
  ["iovalkey 0", (port: number) => new Iovalkey(viaSentinel(port))],
] as const)("client matrix: %s through Sentinel", (_label, connectVia) => {
  let primary: RedisProcess;
  let sentinel: Sentinel;
  beforeAll(async () => {
    primary = await startRedis([]);
    sentinel = await startSentinel(MASTER_NAME, primary.port, 1);
  });
  afterAll(async () => {
    await sentinel?.stop();
    await primary?.stop();
  });

  it("locks, fences and wakes a waiter on release, with the primary found by the sentinel", async () => {
    const client = connectVia(sentinel.port);
    client.on("error", () => {});
    await client.connect();
    const backend = createRedisBackend(client, { evictionPolicyCheck: "off" });
    const lock = createLock(backend);
    const key = uniqueKey("sentinel");
    try {
      const first = await backend.acquire({ key, ttlMs: 30_000 });
      if (!first.ok) throw new Error("expected the first acquire to succeed");
      const started = performance.now();
      // A retry delay far past the release: only the wake-up can run the waiter soon.
      const waiter = lock(({ fence }) => ({ fence, waitedMs: performance.now() - started }), {
        key,
        timeoutMs: 20_000,
        retryDelayMs: 10_000,
      });
      // Released once the waiter listens, so only its wake-up can explain a quick run.
      const { channel } = layoutForKey(DEFAULT_KEY_PREFIX, key);
      await waitFor(async () => {
        const [, listeners] = (await client.call("PUBSUB", "NUMSUB", channel)) as [string, number];
        return Number(listeners) === 1;
      }, 5_000);
      await backend.release({ lockId: first.lockId });
      const second = await waiter;
      expect(second.waitedMs).toBeLessThan(5_000);
      expect(BigInt(second.fence)).toBeGreaterThan(BigInt(first.fence));
      expect(await backend.isLocked({ key })).toBe(false);
    } finally {
      await backend.close();
      await client.quit();
    }
  });
});
