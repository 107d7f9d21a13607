/**
 * The client matrix beyond the conformance suite: on every supported client library, the things
 * that depend on the library itself — NOSCRIPT recovery, one command per operation, the wake-up
 * connection's life, and error mapping with the server unreachable, stopped, closed, refusing
 * credentials or too slow. Titles name the library, so the client-matrix reporter counts by it.
 */
import { createLock, isLockError, type LockError } from "@syncguard/core";
import { Redis as Ioredis6 } from "ioredis";
import { Redis as Ioredis5 } from "ioredis5";
import { Redis as Iovalkey } from "iovalkey";
import { createClient } from "redis";
import { createClient as createClient4, createCluster as createCluster4 } from "redis4";
import { createRedisBackend, type RedisBackend, type RedisClientLike } from "../src";
import { layoutForKey } from "../src/keys";
import {
  CLIENT_LABELS,
  type ClientLibrary,
  connectWith,
  LIBRARIES,
  testClient,
} from "./helpers/clients";
import {
  freePort,
  type RedisProcess,
  SCRIPTLESS_USER,
  startRedis,
  startRedisWithScriptlessUser,
} from "./helpers/process";
import {
  callsBetween,
  commandCalls,
  connectTarget,
  MODES,
  type Mode,
  redisUrl,
  type Target,
  uniqueKey,
  waitFor,
} from "./helpers/services";

async function failure(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLockError(error)) throw new Error(`expected a LockError, got ${String(error)}`);
  return error;
}

/** What a logger would print of an error: message, stack and every cause's, joined. */
function everythingShown(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    parts.push(String(current), current.stack ?? "");
  }
  return parts.join("\n");
}

function okLock(result: Awaited<ReturnType<RedisBackend["acquire"]>>) {
  if (!result.ok) throw new Error("expected the acquire to succeed");
  return result;
}

describe.each(LIBRARIES.map((library) => [CLIENT_LABELS[library], library] as const))(
  "client matrix: %s",
  (_label: string, library: ClientLibrary) => {
    describe.each(MODES)("on %s", (mode: Mode) => {
      const prefix = `sgcm-${library}-${mode}`;
      let target: Target;
      let connection: { client: RedisClientLike; close(): Promise<void> };
      let backend: RedisBackend;
      beforeAll(async () => {
        target = await connectTarget(mode);
        connection = await connectWith(library, mode);
        backend = createRedisBackend(connection.client, { keyPrefix: prefix });
        // The first acquire checks the eviction policy (a script of its own); counts start after.
        const warm = okLock(await backend.acquire({ key: uniqueKey("warm"), ttlMs: 5_000 }));
        await backend.extend({ lockId: warm.lockId, ttlMs: 5_000 });
        await backend.release({ lockId: warm.lockId });
      });
      afterAll(async () => {
        await backend?.close();
        await connection?.close();
        await target?.close();
      });

      it("recovers from SCRIPT FLUSH (NOSCRIPT) with one EVAL, then sends EVALSHA again", async () => {
        const key = uniqueKey("noscript");
        await Promise.all(target.nodes.map((node) => node.scriptFlush()));
        const before = await commandCalls(target);
        const held = okLock(await backend.acquire({ key, ttlMs: 5_000 }));
        expect(callsBetween(before, await commandCalls(target)).get("eval")).toBe(1);
        expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: true });
        const warm = await commandCalls(target);
        const again = okLock(await backend.acquire({ key, ttlMs: 5_000 }));
        const delta = callsBetween(warm, await commandCalls(target));
        expect([delta.get("evalsha"), delta.get("eval")]).toEqual([1, undefined]);
        await backend.release({ lockId: again.lockId });
      });

      it("sends one command per operation", async () => {
        const key = uniqueKey("one-command");
        // After the NOSCRIPT test: load every script again before counting.
        const warm = okLock(await backend.acquire({ key, ttlMs: 5_000 }));
        await backend.extend({ lockId: warm.lockId, ttlMs: 5_000 });
        await backend.release({ lockId: warm.lockId });
        const sent = async (op: () => Promise<unknown>) => {
          const before = await commandCalls(target);
          await op();
          const delta = callsBetween(before, await commandCalls(target));
          return (delta.get("evalsha") ?? 0) + (delta.get("eval") ?? 0);
        };
        let lockId = "";
        expect(
          await sent(async () => {
            lockId = okLock(await backend.acquire({ key, ttlMs: 5_000 })).lockId;
          }),
        ).toBe(1);
        expect(await sent(() => backend.extend({ lockId, ttlMs: 5_000 }))).toBe(1);
        expect(await sent(() => backend.release({ lockId }))).toBe(1);
      });

      it("wakes a waiter on release and closes its wake-up subscription with the backend", async () => {
        const key = uniqueKey("wake");
        const own = createRedisBackend(connection.client, { keyPrefix: prefix });
        const lock = createLock(own);
        const held = okLock(await backend.acquire({ key, ttlMs: 30_000 }));
        const started = performance.now();
        // A retry delay far past the release: only the wake-up can run it soon.
        const waiter = lock(() => performance.now() - started, {
          key,
          timeoutMs: 20_000,
          retryDelayMs: 10_000,
        });
        const channel = layoutForKey(prefix, key).channel;
        const subscribers = async () => {
          let total = 0;
          for (const node of target.nodes) {
            const reply = (await node.sendCommand([
              "PUBSUB",
              mode === "cluster" ? "SHARDNUMSUB" : "NUMSUB",
              channel,
            ])) as [string, number];
            total += Number(reply[1]);
          }
          return total;
        };
        await waitFor(async () => (await subscribers()) === 1, 5_000);
        await backend.release({ lockId: held.lockId });
        expect(await waiter).toBeLessThan(5_000);
        await own.close();
        await waitFor(async () => (await subscribers()) === 0, 5_000);
      });
    });

    describe("errors", () => {
      let server: RedisProcess | undefined;
      afterEach(async () => {
        await server?.stop();
        server = undefined;
      });

      it("refuses at once when the server cannot be reached: ServiceUnavailable, nothing sent, no password shown", async () => {
        const password = "unreachable-pw-1";
        const url = `redis://app:${password}@127.0.0.1:${await freePort()}`;
        const unreachable = testClient(library, url, { reconnect: false });
        const connectError = await unreachable.connect().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(connectError).toBeDefined();
        const backend = createRedisBackend(unreachable.client, { evictionPolicyCheck: "off" });
        const error = await failure(backend.acquire({ key: "k", ttlMs: 1_000 }));
        expect(error.code).toBe("ServiceUnavailable");
        expect(error.message).toMatch(/not connected.*not sent/);
        expect(everythingShown(error)).not.toContain(password);
        unreachable.destroy();
      });

      it("fails by its deadline when the server stops under a connected client", async () => {
        server = await startRedis([]);
        const client = testClient(library, `redis://127.0.0.1:${server.port}`);
        await client.connect();
        const backend = createRedisBackend(client.client, { evictionPolicyCheck: "off" });
        const lock = createLock(backend);
        const key = uniqueKey("down");
        expect(await lock(() => "ran", { key })).toBe("ran");
        await server.stop();
        server = undefined;
        await waitFor(async () => !client.ready(), 5_000);
        const started = performance.now();
        const error = await failure(lock(() => "ran", { key, timeoutMs: 300 }));
        expect(["ServiceUnavailable", "AcquisitionTimeout"]).toContain(error.code);
        expect(performance.now() - started).toBeLessThan(3_000);
        const read = await failure(backend.isLocked({ key }));
        expect(read.code).toBe("ServiceUnavailable");
        await backend.close();
        client.destroy();
      });

      it("refuses on a closed client: ServiceUnavailable, nothing sent", async () => {
        const closed = testClient(library, redisUrl());
        await closed.connect();
        const backend = createRedisBackend(closed.client);
        closed.destroy();
        await waitFor(async () => !closed.ready(), 2_000);
        for (const op of [
          () => backend.release({ lockId: "A".repeat(36) }),
          () => backend.isLocked({ key: "k" }),
          () => backend.lookup({ key: "k" }),
        ]) {
          const error = await failure(op());
          expect(error.code).toBe("ServiceUnavailable");
          expect(error.message).toMatch(/not connected.*not sent/);
        }
      });

      it("maps missing credentials (NOAUTH) and missing permissions (NOPERM) to AuthFailed", async () => {
        const password = "s3cret-pw";
        server = await startRedisWithScriptlessUser(password);
        const options = { evictionPolicyCheck: "off" } as const;

        const anonymous = testClient(library, `redis://127.0.0.1:${server.port}`, { bare: true });
        await anonymous.connect();
        const noauth = await failure(
          createRedisBackend(anonymous.client, options).isLocked({ key: "k" }),
        );
        expect(noauth.code).toBe("AuthFailed");
        expect(String((noauth.cause as Error).message)).toMatch(/^NOAUTH/);
        anonymous.destroy();

        const limited = testClient(
          library,
          `redis://${SCRIPTLESS_USER.name}:${SCRIPTLESS_USER.password}@127.0.0.1:${server.port}`,
        );
        await limited.connect();
        const noperm = await failure(
          createRedisBackend(limited.client, options).extend({
            lockId: "A".repeat(36),
            ttlMs: 1_000,
          }),
        );
        expect(noperm.code).toBe("AuthFailed");
        expect(String((noperm.cause as Error).message)).toMatch(/^NOPERM/);
        expect(everythingShown(noperm)).not.toContain(SCRIPTLESS_USER.password);
        expect(everythingShown(noauth)).not.toContain(password);
        limited.destroy();
      });

      it("maps a reply that does not come in time to NetworkTimeout (the command may have run)", async () => {
        server = await startRedis([]);
        const url = `redis://127.0.0.1:${server.port}`;
        const admin = createClient({ url });
        await admin.connect();
        const slow = testClient(library, url, { socketTimeoutMs: 100 });
        await slow.connect();
        const backend = createRedisBackend(slow.client, { evictionPolicyCheck: "off" });
        await admin.sendCommand(["CLIENT", "PAUSE", "1000", "ALL"]);
        try {
          const error = await failure(backend.isLocked({ key: "k" }));
          expect(error.code).toBe("NetworkTimeout");
          expect(error.message).toMatch(/may have run/);
        } finally {
          await admin.sendCommand(["CLIENT", "UNPAUSE"]);
          admin.destroy();
          slow.destroy();
        }
      });
    });
  },
);

describe("what the backend accepts", () => {
  it("names the supported clients and what it got instead", () => {
    for (const [value, got] of [
      [null, /got null/],
      [{ get() {} }, /got an object without evalSha/],
      [new (class Pool {})(), /got a Pool without/],
      ["redis://localhost", /got string/],
    ] as const) {
      expect(() => createRedisBackend(value as never)).toThrow(
        expect.objectContaining({ code: "InvalidArgument", message: expect.stringMatching(got) }),
      );
      expect(() => createRedisBackend(value as never)).toThrow(
        /node-redis client .*, an ioredis client .* or from its fork `iovalkey`\) or a Valkey GLIDE client \(GlideClient or GlideClusterClient/,
      );
    }
  });

  it("refuses node-redis 4 (its cluster client sends scripts to random shards), naming the upgrade", () => {
    const client = createClient4({ url: redisUrl() });
    const cluster = createCluster4({ rootNodes: [{ url: redisUrl() }] });
    for (const value of [client, cluster]) {
      expect(() => createRedisBackend(value as never)).toThrow(
        expect.objectContaining({
          code: "InvalidArgument",
          message: expect.stringMatching(
            /does not support node-redis 4.*Upgrade to `redis` 5 or 6/,
          ),
        }),
      );
    }
  });

  it.each([
    ["ioredis 6", "ioredis"],
    ["ioredis 5", "ioredis5"],
    ["iovalkey 0", "iovalkey"],
  ] as const)(
    "takes commands from an %s client whose first connection is not ready yet, as ioredis users expect",
    async (_label, library) => {
      for (const lazyConnect of [false, true]) {
        const client =
          library === "ioredis"
            ? new Ioredis6(redisUrl(), { lazyConnect })
            : library === "ioredis5"
              ? new Ioredis5(redisUrl(), { lazyConnect })
              : new Iovalkey(redisUrl(), { lazyConnect });
        expect(client.status).not.toBe("ready");
        const backend = createRedisBackend(client, { keyPrefix: `sgcm-early-${library}` });
        const held = okLock(await backend.acquire({ key: uniqueKey("early"), ttlMs: 5_000 }));
        expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: true });
        await backend.close();
        await client.quit();
      }
    },
  );

  it.each([
    ["ioredis 6", "ioredis"],
    ["ioredis 5", "ioredis5"],
    ["iovalkey 0", "iovalkey"],
  ] as const)(
    "rejects an %s client with its own keyPrefix (wake-ups would go unheard)",
    (_label, library) => {
      const options = { lazyConnect: true, keyPrefix: "app:" };
      const client =
        library === "ioredis"
          ? new Ioredis6(redisUrl(), options)
          : library === "ioredis5"
            ? new Ioredis5(redisUrl(), options)
            : new Iovalkey(redisUrl(), options);
      expect(() => createRedisBackend(client)).toThrow(
        expect.objectContaining({
          code: "InvalidArgument",
          message: expect.stringMatching(/keyPrefix "app:"/),
        }),
      );
      client.disconnect();
    },
  );
});
