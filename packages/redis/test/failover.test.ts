/**
 * A real failover (issue 30): a primary, one replica and three redis-sentinels (quorum 2) on free
 * ports, ioredis through Sentinel. The primary is killed (SIGKILL) and the sentinels promote the
 * replica.
 * - With `durability: { replicas: 1 }` every lock acquired before the kill is still held on the
 *   promoted replica (its holder releases it with its lockId), and the next fence of each key is
 *   higher than every fence issued before; an acquire tried while the replica is cut off is
 *   never reported acquired.
 * - Without durability, the documented risk: a lock acquired while the replica is cut off (frozen
 *   with SIGSTOP, its replication link dropped by the primary) is reported acquired, then vanishes
 *   in the failover; a second holder gets the key with a fence that was already issued.
 */
import { Redis } from "ioredis";
import { createClient } from "redis";
import { createRedisBackend, isDurabilityShortfall, type RedisBackend } from "../src";
import type { RedisProcess } from "./helpers/process";
import { type ReplicatedRedis, startReplicated } from "./helpers/replication";
import { primaryPortSeenBy, type Sentinel, startSentinels } from "./helpers/sentinels";
import { uniqueKey, waitFor } from "./helpers/services";

const NAME = "sgfailover";
const TIMING = { downAfterMs: 500, failoverTimeoutMs: 2_000 };
jest.setTimeout(60_000);

interface Topology {
  servers: ReplicatedRedis;
  sentinels: Sentinel[];
  stop(): Promise<void>;
}

async function startTopology(): Promise<Topology> {
  const servers = await startReplicated(1);
  const sentinels = await startSentinels(NAME, servers.primary.port, 3, 2, 1, TIMING).catch(
    async (error: unknown) => {
      await servers.stop();
      throw error;
    },
  );
  return {
    servers,
    sentinels,
    stop: async () => {
      await Promise.all(sentinels.map((sentinel) => sentinel.stop()));
      await servers.stop();
    },
  };
}

/** An ioredis client that finds the primary through the sentinels and reconnects quickly. */
function viaSentinels(sentinels: Sentinel[]): Redis {
  const client = new Redis({
    sentinels: sentinels.map((sentinel) => ({ host: "127.0.0.1", port: sentinel.port })),
    name: NAME,
    lazyConnect: true,
    retryStrategy: () => 50,
    sentinelRetryStrategy: () => 50,
  });
  client.on("error", () => {});
  return client;
}

async function role(port: number): Promise<string | undefined> {
  const probe = createClient({
    url: `redis://127.0.0.1:${port}`,
    socket: { reconnectStrategy: false },
  });
  probe.on("error", () => {});
  try {
    await probe.connect();
    const reply = (await probe.sendCommand(["ROLE"])) as unknown[];
    return String(reply[0]);
  } catch {
    return undefined;
  } finally {
    if (probe.isOpen) probe.destroy();
  }
}

/** Until every sentinel names the replica as primary and the replica says it is one. */
async function failedOverTo(topology: Topology, replica: RedisProcess): Promise<void> {
  await waitFor(async () => {
    for (const sentinel of topology.sentinels) {
      const port = await primaryPortSeenBy(sentinel.port, NAME).catch(() => undefined);
      if (port !== replica.port) return false;
    }
    return (await role(replica.port)) === "master";
  }, 30_000);
}

/** Until the replica has applied everything the primary has sent (INFO replication offsets). */
async function replicaCaughtUp(servers: ReplicatedRedis): Promise<void> {
  const offset = async (port: number, field: string) => {
    const probe = createClient({ url: `redis://127.0.0.1:${port}` });
    await probe.connect();
    try {
      return Number(new RegExp(`^${field}:(\\d+)`, "m").exec(await probe.info("replication"))?.[1]);
    } finally {
      probe.destroy();
    }
  };
  const replica = servers.replicas[0] as RedisProcess;
  await waitFor(
    async () =>
      (await offset(servers.primary.port, "master_repl_offset")) ===
      (await offset(replica.port, "slave_repl_offset")),
    10_000,
  );
}

/** Retries an operation that fails while the client reconnects to the new primary. */
async function onceReachable<T>(operation: () => Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  let lastError: unknown;
  await waitFor(async () => {
    try {
      result = { value: await operation() };
      return true;
    } catch (error) {
      lastError = error;
      return false;
    }
  }, 20_000).catch((error: unknown) => {
    throw new Error(`still failing: ${String(lastError)}`, { cause: error });
  });
  return (result as { value: T }).value;
}

const okLock = <T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> => {
  if (!result.ok) throw new Error("expected the acquire to succeed");
  return result as Extract<T, { ok: true }>;
};

describe("failover through Sentinel (ioredis 6)", () => {
  let topology: Topology | undefined;
  let client: Redis | undefined;
  let backend: RedisBackend | undefined;
  const others: RedisBackend[] = [];
  afterEach(async () => {
    await Promise.all(others.splice(0).map((other) => other.close()));
    await backend?.close();
    client?.disconnect();
    await topology?.stop();
    backend = undefined;
    client = undefined;
    topology = undefined;
  });

  it("with durability { replicas: 1 }: locks acquired before the primary dies are held on the promoted replica, and fences only go up", async () => {
    topology = await startTopology();
    const { servers } = topology;
    const replica = servers.replicas[0] as RedisProcess;
    client = viaSentinels(topology.sentinels);
    await client.connect();
    backend = createRedisBackend(client, {
      evictionPolicyCheck: "off",
      durability: { replicas: 1, timeoutMs: 2_000 },
    });

    const held = new Map<string, { lockId: string; maxFence: bigint }>();
    for (let k = 0; k < 5; k++) {
      const key = uniqueKey("failover-durable");
      let maxFence = 0n;
      for (let round = 0; round < 3; round++) {
        const turn = okLock(await backend.acquire({ key, ttlMs: 60_000 }));
        maxFence = BigInt(turn.fence);
        expect((await backend.release({ lockId: turn.lockId })).ok).toBe(true);
      }
      const lock = okLock(await backend.acquire({ key, ttlMs: 60_000 }));
      held.set(key, {
        lockId: lock.lockId,
        maxFence: BigInt(lock.fence) > maxFence ? BigInt(lock.fence) : maxFence,
      });
    }

    // The same split as in the test below: the replica frozen, its link dropped. A durable
    // acquire now is never reported acquired (the shortfall takes it back).
    const quick = createRedisBackend(client, {
      evictionPolicyCheck: "off",
      durability: { replicas: 1, timeoutMs: 200 },
    });
    others.push(quick);
    await quick.isLocked({ key: "first-use" });
    replica.signal("SIGSTOP");
    await client.call("CLIENT", "KILL", "TYPE", "replica");
    const cutOff = uniqueKey("failover-cut-off");
    const refused = await quick.acquire({ key: cutOff, ttlMs: 60_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isDurabilityShortfall(refused)).toBe(true);

    servers.primary.signal("SIGKILL"); // no chance to send anything more to the replica
    replica.signal("SIGCONT");
    await failedOverTo(topology, replica);
    const plain = createRedisBackend(client, { evictionPolicyCheck: "off" });
    others.push(plain);
    expect(await onceReachable(() => plain.isLocked({ key: cutOff }))).toBe(false);

    for (const [key, before] of held) {
      // Still held, by the same holder: its lockId releases it on the new primary.
      expect(await onceReachable(() => backend!.isLocked({ key }))).toBe(true);
      expect(await onceReachable(() => backend!.release({ lockId: before.lockId }))).toEqual({
        ok: true,
      });
      // The promoted replica has no replica of its own, so a durable acquire now falls short;
      // another process without durability takes the key.
      const after = okLock(await plain.acquire({ key, ttlMs: 5_000 }));
      expect(BigInt(after.fence)).toBeGreaterThan(before.maxFence);
    }
  });

  it("without durability: a lock acquired while the replica lags is lost in the failover and its fence is issued again", async () => {
    topology = await startTopology();
    const { servers } = topology;
    const replica = servers.replicas[0] as RedisProcess;
    client = viaSentinels(topology.sentinels);
    await client.connect();
    backend = createRedisBackend(client, { evictionPolicyCheck: "off" });

    const key = uniqueKey("failover-plain");
    // Fences the replica has: two turns, replicated.
    for (let round = 0; round < 2; round++) {
      const turn = okLock(await backend.acquire({ key, ttlMs: 60_000 }));
      await backend.release({ lockId: turn.lockId });
    }
    await replicaCaughtUp(servers);

    // The replica is frozen and the primary drops its replication link (a network split between
    // them): the acquire that follows is acknowledged all the same, and reaches only the primary.
    // (A frozen replica alone is not enough: the kernel still buffers the stream for it.)
    replica.signal("SIGSTOP");
    await client.call("CLIENT", "KILL", "TYPE", "replica");
    const first = okLock(await backend.acquire({ key, ttlMs: 60_000 }));
    servers.primary.signal("SIGKILL");
    replica.signal("SIGCONT");
    await failedOverTo(topology, replica);

    // A second holder gets the key while the first still believes it holds it…
    const second = okLock(await onceReachable(() => backend!.acquire({ key, ttlMs: 5_000 })));
    expect(second.lockId).not.toBe(first.lockId);
    // …with the fence the first holder was given (the counter went back with the failover).
    expect(BigInt(second.fence)).toBeLessThanOrEqual(BigInt(first.fence));
    expect(await backend.release({ lockId: first.lockId })).toEqual({ ok: false });
  });
});
