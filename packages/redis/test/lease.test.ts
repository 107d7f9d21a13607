import { probeAutoExtend, startPartitionProxy } from "@syncguard/conformance";
import { createLock, isLockError, type LockError } from "@syncguard/core";
import { createClient } from "redis";
import { createRedisBackend } from "../src";
import { redisUrl } from "./helpers/services";

// Issue 9 acceptance on a real redis-server: what a holder sees when its backend goes away, and
// auto-extend holding a short lease through a long critical section.
const PREFIX = `lease-${process.pid}`;
const key = (label: string) => `${label}:${Math.random().toString(36).slice(2)}`;

describe("lease on Redis", () => {
  it("a holder whose Redis becomes unreachable is aborted before its lease expires", async () => {
    const url = new URL(redisUrl());
    const proxy = await startPartitionProxy({ host: url.hostname, port: Number(url.port) });
    // The holder reaches Redis through the proxy; the observer talks to Redis directly.
    const holderClient = createClient({ url: `redis://${proxy.host}:${proxy.port}` });
    holderClient.on("error", () => undefined); // expected once the proxy is cut
    await holderClient.connect();
    const observerClient = await createClient({ url: redisUrl() }).connect();
    const holder = createRedisBackend(holderClient, { keyPrefix: PREFIX });
    const observer = createRedisBackend(observerClient, { keyPrefix: PREFIX });
    const lockKey = key("unreachable");
    const ttlMs = 2_000;
    const releaseErrors: LockError[] = [];
    let marginMs = Number.NaN;
    let stillHeldAtAbort: boolean | undefined;
    try {
      const outcome = await createLock(holder)(
        async ({ signal, expiresAtMs }) => {
          proxy.cut(); // the network goes away: renewals hang
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
          marginMs = expiresAtMs - Date.now(); // Redis runs on this machine: same clock
          stillHeldAtAbort = await observer.isLocked({ key: lockKey });
          expect(isLockError(signal.reason, "LockLost")).toBe(true);
        },
        {
          key: lockKey,
          ttlMs,
          autoExtend: true,
          releaseTimeoutMs: 300,
          onReleaseError: (error) => releaseErrors.push(error as LockError),
        },
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(isLockError(outcome, "LockLost")).toBe(true);
      console.log(`unreachable Redis: holder aborted ${marginMs} ms before its lease expired`);
      expect(marginMs).toBeGreaterThan(0);
      expect(stillHeldAtAbort).toBe(true); // it stopped while the lock still protected it
      expect(releaseErrors.map((e) => e.code)).toEqual(["NetworkTimeout"]);
    } finally {
      await proxy.close();
      holderClient.destroy();
      observerClient.destroy();
    }
  });

  it("autoExtend keeps a 1 s lock through a 10 s critical section; no other client gets in", async () => {
    const holderClient = await createClient({ url: redisUrl() }).connect();
    const otherClient = await createClient({ url: redisUrl() }).connect();
    const holder = createRedisBackend(holderClient, { keyPrefix: PREFIX });
    const other = createRedisBackend(otherClient, { keyPrefix: PREFIX });
    const lockKey = key("long");
    try {
      const result = await probeAutoExtend(holder, other, {
        key: lockKey,
        ttlMs: 1_000,
        workMs: 10_000,
      });
      expect(result).toMatchObject({ intrusions: 0, aborted: false, releasedAfter: true });
      expect(result.attempts).toBeGreaterThan(30);
    } finally {
      holderClient.destroy();
      otherClient.destroy();
    }
  }, 30_000);
});
