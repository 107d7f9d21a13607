import { createLock, isLockError, type LockError } from "@syncguard/core";
import { createClient } from "redis";
import { createRedisBackend, type RedisBackendOptions } from "../src";
import { type RedisProcess, startRedis, waitUntilNotReady } from "./helpers/process";

// Faults on a private redis-server (issue 13): what every operation does when Redis is down,
// and the eviction-policy check. The wider fault suite (freeze, proxies, clock steps, soak) is in
// tests/faults.

async function outcome(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: performance.now() - started };
}

describe("Redis down", () => {
  let server: RedisProcess | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it("every operation fails at once with ServiceUnavailable and a message that says why; lock() ends by timeoutMs", async () => {
    server = await startRedis([]);
    // A default client, as users create it: offline queue on, 5 s command timeout.
    const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
    client.on("error", () => {});
    await client.connect();
    const backend = createRedisBackend(client);
    const held = await backend.acquire({ key: "down", ttlMs: 30_000 });
    if (!held.ok) throw new Error("setup");
    await server.stop();
    server = undefined;
    await waitUntilNotReady(client);
    const operations: Array<[string, () => Promise<unknown>]> = [
      ["acquire", () => backend.acquire({ key: "other", ttlMs: 1_000 })],
      ["release", () => backend.release({ lockId: held.lockId })],
      ["extend", () => backend.extend({ lockId: held.lockId, ttlMs: 1_000 })],
      ["isLocked", () => backend.isLocked({ key: "down" })],
      ["lookup", () => backend.lookup({ key: "down" })],
    ];
    try {
      for (const [name, operation] of operations) {
        const { error, ms } = await outcome(operation());
        expect({ name, code: (error as LockError).code }).toEqual({
          name,
          code: "ServiceUnavailable",
        });
        expect((error as LockError).message).toMatch(new RegExp(`^Redis ${name} failed: \\S`));
        expect(ms).toBeLessThan(100);
      }
      const { error, ms } = await outcome(
        createLock(backend)(() => "ran", { key: "down", timeoutMs: 1_000 }),
      );
      expect(isLockError(error, "ServiceUnavailable")).toBe(true);
      expect(ms).toBeGreaterThanOrEqual(900);
      expect(ms).toBeLessThan(1_000 + 150);
    } finally {
      client.destroy();
    }
  });
});

describe("eviction policy check", () => {
  const servers: RedisProcess[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  const backendOn = async (
    args: string[],
    check?: "refuse" | "warn" | "off",
    logger?: RedisBackendOptions["logger"],
  ) => {
    const server = await startRedis(args);
    servers.push(server);
    const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await client.connect();
    return {
      client,
      backend: createRedisBackend(client, {
        ...(check ? { evictionPolicyCheck: check } : {}),
        ...(logger ? { logger } : {}),
      }),
    };
  };

  it("refuses, by default, a server that may evict live locks, before writing anything", async () => {
    const { client, backend } = await backendOn([
      "--maxmemory",
      "64mb",
      "--maxmemory-policy",
      "volatile-lru",
    ]);
    try {
      const error = await backend.acquire({ key: "k", ttlMs: 1_000 }).catch((e: unknown) => e);
      expect(isLockError(error, "InvalidArgument")).toBe(true);
      expect((error as Error).message).toMatch(/volatile-lru.*noeviction/);
      expect(await client.dbSize()).toBe(0);
    } finally {
      client.destroy();
    }
  });

  it("warns once and goes on with evictionPolicyCheck 'warn'; a latent risk only warns (through the backend's logger when given)", async () => {
    const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const risky = await backendOn(
        ["--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"],
        "warn",
      );
      expect((await risky.backend.acquire({ key: "a", ttlMs: 1_000 })).ok).toBe(true);
      expect((await risky.backend.acquire({ key: "b", ttlMs: 1_000 })).ok).toBe(true);
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/allkeys-lru/);
      risky.client.destroy();

      const logged: string[] = [];
      const logger = { warn: (message: string) => logged.push(message), error: () => undefined };
      const latent = await backendOn(["--maxmemory-policy", "allkeys-lru"], undefined, logger);
      expect((await latent.backend.acquire({ key: "a", ttlMs: 1_000 })).ok).toBe(true);
      expect(logged).toEqual([expect.stringMatching(/allkeys-lru \(maxmemory not set yet\)/)]);
      expect(warn).toHaveBeenCalledTimes(1);
      latent.client.destroy();

      const safe = await backendOn([]);
      expect((await safe.backend.acquire({ key: "a", ttlMs: 1_000 })).ok).toBe(true);
      expect(warn).toHaveBeenCalledTimes(1);
      safe.client.destroy();
    } finally {
      warn.mockRestore();
    }
  });
});
