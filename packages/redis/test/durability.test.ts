/**
 * `durability` (ADR-040): an acquire (fence increment included) and an extend wait for replicas
 * (WAIT) on the same connection before reporting success. On a throwaway primary with one replica
 * (redis-server --replicaof, free ports): one replica asked for is acknowledged and holds the lock
 * when the call returns; two asked for fall short, and the acquire is taken back; a frozen replica
 * (SIGSTOP) makes the acquire fail after durability.timeoutMs; a server without WAIT, or without
 * WAITAOF when aof is asked for, is refused at first use.
 */
import {
  acquirePermit,
  createLock,
  isLockError,
  type LockError,
  type Logger,
} from "@syncguard/core";
import { Redis as Ioredis6 } from "ioredis";
import { createClient } from "redis";
import { createRedisBackend, isDurabilityShortfall, type RedisBackend } from "../src";
import { DEFAULT_KEY_PREFIX } from "../src/config";
import { layoutForKey } from "../src/keys";
import { permitLayout } from "../src/permit-layout";
import { CLIENT_LABELS, type ClientLibrary, connectWith, testClient } from "./helpers/clients";
import { startRedis } from "./helpers/process";
import { type ReplicatedRedis, startReplicated } from "./helpers/replication";
import { uniqueKey } from "./helpers/services";

async function failure(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLockError(error)) throw new Error(`expected a LockError, got ${String(error)}`);
  return error;
}

function okLock<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error("expected the acquire to succeed");
  return result as Extract<T, { ok: true }>;
}

describe("durability options", () => {
  const client = new Ioredis6({ lazyConnect: true, port: 1 });
  afterAll(() => client.disconnect());
  it.each([
    [{ replicas: 0, timeoutMs: 100 }, /durability.replicas must be an integer from 1/],
    [{ replicas: 1.5, timeoutMs: 100 }, /durability.replicas/],
    [{ replicas: "1", timeoutMs: 100 }, /durability.replicas .*got the string "1"/],
    [{ replicas: 1 }, /durability.timeoutMs must be a positive integer/],
    [{ replicas: 1, timeoutMs: 10_000 }, /below operationTimeoutMs \(10000\)/],
    [{ replicas: 1, timeoutMs: 100, aof: "yes" }, /durability.aof must be true or false/],
    [
      { replicas: 1, timeoutMs: 100, onShortfall: "ignore" },
      /onShortfall must be "fail" or "warn"/,
    ],
    [{ replica: 1, timeoutMs: 100 }, /replica.*replicas/],
    [1, /durability must be an object/],
  ])("refuses %j with InvalidArgument before any I/O", (durability, message) => {
    expect(() => createRedisBackend(client, { durability: durability as never })).toThrow(
      expect.objectContaining({ code: "InvalidArgument", message: expect.stringMatching(message) }),
    );
    expect(client.status).toBe("wait"); // nothing was sent
  });
});

const LIBRARIES: ClientLibrary[] = ["redis", "ioredis", "iovalkey"];

describe("durability on a primary with one replica", () => {
  let servers: ReplicatedRedis;
  let replicaReader: ReturnType<typeof createClient>;
  beforeAll(async () => {
    servers = await startReplicated(1);
    replicaReader = createClient({ url: servers.replicaUrl() });
    await replicaReader.connect();
  });
  afterAll(async () => {
    replicaReader?.destroy();
    await servers?.stop();
  });

  const onReplica = (key: string) =>
    replicaReader.get(layoutForKey(DEFAULT_KEY_PREFIX, key).record);

  describe.each(LIBRARIES.map((library) => [CLIENT_LABELS[library], library] as const))(
    "with %s",
    (_label, library) => {
      const backends: RedisBackend[] = [];
      const users: Array<{ destroy(): void }> = [];
      async function backendWith(durability: object, logger?: Logger): Promise<RedisBackend> {
        const user = testClient(library, servers.url);
        await user.connect();
        users.push(user);
        const backend = createRedisBackend(user.client, {
          evictionPolicyCheck: "off",
          durability: durability as never,
          ...(logger ? { logger } : {}),
        });
        backends.push(backend);
        return backend;
      }
      afterAll(async () => {
        await Promise.all(backends.map((backend) => backend.close()));
        for (const user of users) user.destroy();
      });

      it("replicas: 1 — acquire and extend return once the replica holds the write", async () => {
        const backend = await backendWith({ replicas: 1, timeoutMs: 2_000 });
        const key = uniqueKey("durable");
        const held = okLock(await backend.acquire({ key, ttlMs: 20_000 }));
        // WAIT returned before the acquire did: the replica already has the record.
        const copy = await onReplica(key);
        expect(copy).not.toBeNull();
        const extended = await backend.extend({ lockId: held.lockId, ttlMs: 60_000 });
        expect(extended.ok).toBe(true);
        expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: true });
      });

      it("after SCRIPT FLUSH (a restart, a failover) the script and its WAIT are sent again with EVAL", async () => {
        const backend = await backendWith({ replicas: 1, timeoutMs: 2_000 });
        await backend.isLocked({ key: uniqueKey("warm") }); // first use done
        const admin = createClient({ url: servers.url });
        await admin.connect();
        await admin.scriptFlush();
        admin.destroy();
        const key = uniqueKey("flushed");
        const held = okLock(await backend.acquire({ key, ttlMs: 20_000 }));
        expect(await onReplica(key)).not.toBeNull();
        await backend.release({ lockId: held.lockId });
      });

      it("replicas: 2 with one replica — the acquire fails as a durability shortfall and leaves no lock", async () => {
        const backend = await backendWith({ replicas: 2, timeoutMs: 200 });
        const key = uniqueKey("short");
        const error = await failure(backend.acquire({ key, ttlMs: 20_000 }));
        expect(error.code).toBe("ServiceUnavailable");
        expect(isDurabilityShortfall(error)).toBe(true);
        expect(error.message).toMatch(
          /durability shortfall, asked for 2 replica\(s\) \(WAIT\).*got 1 replica\(s\).*released/,
        );
        expect(await backend.isLocked({ key })).toBe(false);
        // Another process takes the key at once, with a higher fence than the one taken back.
        const plain = await backendWith(undefined as never);
        const next = okLock(await plain.acquire({ key, ttlMs: 5_000 }));
        expect(BigInt(next.fence)).toBeGreaterThan(1n);
        await plain.release({ lockId: next.lockId });
      });

      it("permits: replicas 1 — acquirePermit and its extend return once the replica holds the permit", async () => {
        const backend = await backendWith({ replicas: 1, timeoutMs: 2_000 });
        const key = uniqueKey("durable-permit");
        const permit = await acquirePermit(backend, { key, permits: 2, ttlMs: 20_000 });
        const holders = permitLayout(DEFAULT_KEY_PREFIX, key).permits;
        // WAIT returned before acquirePermit did: the replica already lists the permit.
        expect(await replicaReader.zScore(holders, permit.lockId)).not.toBeNull();
        expect((await permit.extend(60_000)).ok).toBe(true);
        await permit.release();
      });

      it("permits: replicas 2 with one replica — acquirePermit fails as a shortfall and leaves no permit", async () => {
        const backend = await backendWith({ replicas: 2, timeoutMs: 200 });
        const key = uniqueKey("short-permit");
        const error = await failure(
          acquirePermit(backend, { key, permits: 1, ttlMs: 20_000, timeoutMs: 0 }),
        );
        expect(error.code).toBe("ServiceUnavailable");
        expect(isDurabilityShortfall(error)).toBe(true);
        expect(error.message).toMatch(
          /acquirePermit failed: durability shortfall.*permit was released/,
        );
        expect(await replicaReader.zCard(permitLayout(DEFAULT_KEY_PREFIX, key).permits)).toBe(0);
        // The slot is free again: a caller without durability takes the single permit at once.
        const plain = await backendWith(undefined as never);
        const next = await acquirePermit(plain, { key, permits: 1, ttlMs: 5_000, timeoutMs: 0 });
        await next.release();
      });

      it("onShortfall: warn — the acquire stands and one warning names the shortfall", async () => {
        const warnings: string[] = [];
        const logger = {
          warn: (message: string) => warnings.push(message),
          error: () => {},
        } as unknown as Logger;
        const backend = await backendWith(
          { replicas: 2, timeoutMs: 100, onShortfall: "warn" },
          logger,
        );
        const key = uniqueKey("warn");
        const held = okLock(await backend.acquire({ key, ttlMs: 20_000 }));
        expect(warnings.filter((line) => /durability shortfall/.test(line))).toHaveLength(1);
        expect(await backend.isLocked({ key })).toBe(true);
        await backend.release({ lockId: held.lockId });
      });
    },
  );

  it("lock() that keeps falling short ends with an error isDurabilityShortfall recognises, whichever attempt was last", async () => {
    const user = testClient("ioredis", servers.url);
    await user.connect();
    const backend = createRedisBackend(user.client, {
      evictionPolicyCheck: "off",
      durability: { replicas: 2, timeoutMs: 150 },
    });
    try {
      for (const timeoutMs of [700, 1_000]) {
        const error = await failure(
          createLock(backend)(() => "ran", { key: uniqueKey("lock-short"), timeoutMs }),
        );
        expect(isDurabilityShortfall(error)).toBe(true);
        expect(error.message).toMatch(/durability shortfall/);
      }
    } finally {
      await backend.close();
      user.destroy();
    }
  });

  it("a frozen replica (SIGSTOP): the acquire fails after durability.timeoutMs and no lock is left", async () => {
    const user = testClient("redis", servers.url);
    await user.connect();
    const backend = createRedisBackend(user.client, {
      evictionPolicyCheck: "off",
      durability: { replicas: 1, timeoutMs: 300 },
    });
    const key = uniqueKey("frozen");
    const replica = servers.replicas[0];
    if (!replica) throw new Error("no replica");
    try {
      await backend.isLocked({ key }); // first use done while the replica answers
      replica.signal("SIGSTOP");
      const error = await failure(backend.acquire({ key, ttlMs: 20_000 }));
      expect(isDurabilityShortfall(error)).toBe(true);
      expect(error.message).toMatch(/got 0 replica\(s\)/);
      expect(await backend.isLocked({ key })).toBe(false);
    } finally {
      replica.signal("SIGCONT");
      await backend.close();
      user.destroy();
    }
  });
});

describe("durability refused at first use", () => {
  it("a server that refuses WAIT (as some managed services do): InvalidArgument naming WAIT", async () => {
    const server = await startRedis(["--rename-command", "WAIT", ""]);
    const user = testClient("ioredis", `redis://127.0.0.1:${server.port}`);
    await user.connect();
    const backend = createRedisBackend(user.client, {
      evictionPolicyCheck: "off",
      durability: { replicas: 1, timeoutMs: 100 },
    });
    try {
      const error = await failure(backend.acquire({ key: uniqueKey("nowait"), ttlMs: 5_000 }));
      expect(error.code).toBe("InvalidArgument");
      expect(error.message).toMatch(
        /durability needs WAIT, which the server refused .*unknown command/,
      );
    } finally {
      await backend.close();
      user.destroy();
      await server.stop();
    }
  });

  it("aof on a server without WAITAOF (Redis 7.0) or without appendonly: InvalidArgument naming WAITAOF", async () => {
    const server = await startRedis([]); // appendonly no
    const user = testClient("redis", `redis://127.0.0.1:${server.port}`);
    await user.connect();
    const backend = createRedisBackend(user.client, {
      evictionPolicyCheck: "off",
      durability: { replicas: 1, aof: true, timeoutMs: 100 },
    });
    try {
      const error = await failure(backend.acquire({ key: uniqueKey("noaof"), ttlMs: 5_000 }));
      expect(error.code).toBe("InvalidArgument");
      // 7.0 (Debian 12's redis-server): no WAITAOF; 7.2+: appendonly is off on this server.
      expect(error.message).toMatch(/WAITAOF.*(Redis 7\.2|appendonly)/);
    } finally {
      await backend.close();
      user.destroy();
      await server.stop();
    }
  });
});

describe("durability on Redis Cluster (masters without replicas)", () => {
  it.each([
    ["node-redis 6", "redis"],
    ["ioredis 6", "ioredis"],
  ] as const)(
    "%s: WAIT goes to the key's master, which has no replica: a shortfall, nothing left",
    async (_label, library) => {
      const connection = await connectWith(library, "cluster");
      const backend = createRedisBackend(connection.client, {
        keyPrefix: `sgdur-${library}`,
        durability: { replicas: 1, timeoutMs: 100 },
      });
      try {
        for (let i = 0; i < 3; i++) {
          const key = uniqueKey("cluster-durable");
          const error = await failure(backend.acquire({ key, ttlMs: 5_000 }));
          expect(isDurabilityShortfall(error)).toBe(true);
          expect(error.message).toMatch(/got 0 replica\(s\)/);
          expect(await backend.isLocked({ key })).toBe(false);
        }
      } finally {
        await backend.close();
        await connection.close();
      }
    },
  );
});
