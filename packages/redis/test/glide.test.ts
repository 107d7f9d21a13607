/**
 * Valkey GLIDE clients (issue 30, ADR-042), beyond the conformance suite they also run
 * (conformance.clients.test.ts): what the options accept, wake-ups on the backend's own
 * subscriber client next to the user's own subscriptions, polling without one, and what a GLIDE
 * error says about a command against a real redis-server 7 that is frozen, killed, busy or
 * read-only ("did not run" is ServiceUnavailable, "may have run" NetworkTimeout).
 */
import { createLock, isLockError, type LockError } from "@syncguard/core";
import {
  GlideClient,
  GlideClientConfiguration,
  GlideClusterClient,
  type PubSubMsg,
} from "@valkey/valkey-glide";
import { createClient } from "redis";
import { classifyRedisError, createRedisBackend, type RedisBackend } from "../src";
import { toRedisLockError } from "../src/errors";
import { type RedisProcess, startRedis } from "./helpers/process";
import { clusterNodes, redisUrl, uniqueKey, waitFor } from "./helpers/services";

const configFor = (url: string, requestTimeout = 5_000): GlideClientConfiguration => {
  const { hostname, port } = new URL(url);
  return { addresses: [{ host: hostname, port: Number(port) }], requestTimeout };
};

async function failure(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLockError(error)) throw new Error(`expected a LockError, got ${String(error)}`);
  return error;
}

function held(result: Awaited<ReturnType<RedisBackend["acquire"]>>) {
  if (!result.ok) throw new Error("expected the acquire to succeed");
  return result;
}

describe("a backend on a valkey-glide 2 client", () => {
  let client: GlideClient;
  const backends: RedisBackend[] = [];
  const backendOn = (...args: Parameters<typeof createRedisBackend>) => {
    const backend = createRedisBackend(...args);
    backends.push(backend);
    return backend;
  };
  beforeAll(async () => {
    client = await GlideClient.createClient(configFor(redisUrl()));
  });
  afterEach(async () => {
    await Promise.all(backends.splice(0).map((backend) => backend.close()));
  });
  afterAll(() => client.close());

  it("says in its capabilities whether waiters are woken (subscriberConfig) or poll", () => {
    expect(backendOn(client).capabilities.wakeUps).toBe("polling");
    expect(backendOn(client).subscribe).toBeUndefined();
    const woken = backendOn(client, { subscriberConfig: configFor(redisUrl()) });
    expect(woken.capabilities).toEqual({
      backend: "redis",
      supportsFencing: true,
      timeAuthority: "server",
      wakeUps: "pubsub",
    });
    expect(typeof woken.subscribe).toBe("function");
  });

  it("refuses a subscriberConfig that is not a GLIDE configuration without subscriptions, and durability", () => {
    const refused = (options: object, message: RegExp) =>
      expect(() => createRedisBackend(client, options)).toThrow(
        expect.objectContaining({
          code: "InvalidArgument",
          message: expect.stringMatching(message),
        }),
      );
    refused({ subscriberConfig: "redis://x" }, /^subscriberConfig must be a Valkey GLIDE/);
    refused({ subscriberConfig: { addresses: [] } }, /^subscriberConfig.addresses must be/);
    refused(
      {
        subscriberConfig: {
          ...configFor(redisUrl()),
          pubsubSubscriptions: { channelsAndPatterns: {} },
        },
      },
      /must not have pubsubSubscriptions/,
    );
    refused(
      { durability: { replicas: 1, timeoutMs: 100 } },
      /^durability is not available with a glide client/,
    );
    const nodeRedis = createClient({ url: "redis://127.0.0.1:1" });
    expect(() =>
      createRedisBackend(nodeRedis, { subscriberConfig: configFor(redisUrl()) }),
    ).toThrow(
      expect.objectContaining({
        code: "InvalidArgument",
        message: expect.stringMatching(/GLIDE clients only/),
      }),
    );
  });

  it.each([
    ["TRYAGAIN x", "ServiceUnavailable", /: TRYAGAIN x$/],
    ["CLUSTERDOWN x", "ServiceUnavailable", /: CLUSTERDOWN x$/],
    ["MASTERDOWN x", "ServiceUnavailable", /: MASTERDOWN x$/],
    ["LOADING x", "ServiceUnavailable", /: LOADING x$/],
    ["OOM x", "ServiceUnavailable", /: OOM x$/],
    ["NOPERM x", "AuthFailed", /NOPERM x/],
    ["WRONGPASS x", "AuthFailed", /: WRONGPASS x$/],
    ["MOVED 1 127.0.0.1:1", "InvalidArgument", /MOVED 1 127\.0\.0\.1:1/],
    ["WRONGTYPE x", "Internal", /: WRONGTYPE x$/],
  ])("reads the server's %s reply through GLIDE's wording as %s", async (reply, code, said) => {
    const error = await client
      .customCommand(["EVAL", `return redis.error_reply('${reply}')`, "0"])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const mapped = toRedisLockError(error, "acquire");
    expect(mapped.code).toBe(code);
    expect(mapped.message).toMatch(said);
    expect(classifyRedisError(error)).toBe(code === "Internal" ? undefined : code);
  });

  it("without a subscriberConfig, a waiting lock() gets the lock by polling once it is released", async () => {
    const backend = backendOn(client);
    const key = uniqueKey("glide-poll");
    const holder = held(await backend.acquire({ key, ttlMs: 30_000 }));
    const waiter = createLock(backend)(async (ctx) => ctx.fence, {
      key,
      timeoutMs: 5_000,
      retryDelayMs: 20,
    });
    await backend.release({ lockId: holder.lockId });
    expect(BigInt(await waiter)).toBeGreaterThan(BigInt(holder.fence));
  });

  it("wakes waiters on its own subscriber client and leaves the user's subscriptions and messages alone", async () => {
    const heard: PubSubMsg[] = [];
    const userChannel = uniqueKey("user-channel");
    const subscribed = await GlideClient.createClient({
      ...configFor(redisUrl()),
      pubsubSubscriptions: {
        channelsAndPatterns: {
          [GlideClientConfiguration.PubSubChannelModes.Exact]: new Set([userChannel]),
        },
        callback: (message) => heard.push(message),
      },
    });
    try {
      const backend = backendOn(subscribed, { subscriberConfig: configFor(redisUrl()) });
      const key = uniqueKey("glide-wake");
      const holder = held(await backend.acquire({ key, ttlMs: 30_000 }));
      let released = 0;
      const unsubscribe = await (backend.subscribe as NonNullable<RedisBackend["subscribe"]>)(
        key,
        () => {
          released++;
        },
      );
      // The release announces itself only when an attempt was turned away.
      expect((await backend.acquire({ key, ttlMs: 30_000 })).ok).toBe(false);
      await backend.release({ lockId: holder.lockId });
      await waitFor(() => released === 1, 5_000);
      unsubscribe();
      await client.publish("for the user", userChannel);
      await waitFor(() => heard.length === 1, 5_000);
      expect(heard.map((message) => String(message.channel))).toEqual([userChannel]);
      const { desiredSubscriptions } = await subscribed.getSubscriptions();
      expect([
        ...(desiredSubscriptions[GlideClientConfiguration.PubSubChannelModes.Exact] ?? []),
      ]).toEqual([userChannel]);
    } finally {
      subscribed.close();
    }
  });
});

describe("a backend on a valkey-glide 2 cluster client", () => {
  it("wakes waiters through sharded subscriptions on its own cluster subscriber", async () => {
    const config = {
      addresses: clusterNodes().map((node) => {
        const [host, port] = node.split(":");
        return { host: host as string, port: Number(port) };
      }),
      requestTimeout: 5_000,
    };
    const cluster = await GlideClusterClient.createClient(config);
    const backend = createRedisBackend(cluster, { subscriberConfig: config });
    try {
      expect(backend.capabilities.wakeUps).toBe("pubsub");
      // Keys in different slots, so the subscriber talks to more than one shard.
      const keys = [1, 2, 3, 4, 5, 6].map((n) => uniqueKey(`glide-cluster-${n}`));
      const woken = new Set<string>();
      const subscribe = backend.subscribe as NonNullable<RedisBackend["subscribe"]>;
      const stops = await Promise.all(keys.map((key) => subscribe(key, () => woken.add(key))));
      for (const key of keys) {
        const lock = held(await backend.acquire({ key, ttlMs: 30_000 }));
        expect((await backend.acquire({ key, ttlMs: 30_000 })).ok).toBe(false);
        await backend.release({ lockId: lock.lockId });
      }
      await waitFor(() => woken.size === keys.length, 5_000);
      for (const stop of stops) stop();
    } finally {
      await backend.close();
      cluster.close();
    }
  });
});

describe("valkey-glide 2 errors against a stopped, killed, busy or read-only redis-server", () => {
  let server: RedisProcess | undefined;
  let user: GlideClient | undefined;
  let backend: RedisBackend | undefined;
  afterEach(async () => {
    server?.signal("SIGCONT");
    await backend?.close();
    user?.close();
    await server?.stop();
    server = undefined;
    user = undefined;
    backend = undefined;
  });

  /** A warmed-up backend (first-use check done, scripts loaded) on a private server. */
  const start = async (requestTimeout: number, operationTimeoutMs: number, args: string[] = []) => {
    server = await startRedis(args);
    const url = `redis://127.0.0.1:${server.port}`;
    user = await GlideClient.createClient(configFor(url, requestTimeout));
    backend = createRedisBackend(user, { operationTimeoutMs });
    const warm = held(await backend.acquire({ key: uniqueKey("warm"), ttlMs: 5_000 }));
    await backend.release({ lockId: warm.lockId });
    return { server, backend, url };
  };

  it.each([
    ["GLIDE's requestTimeout", 200, 5_000],
    ["operationTimeoutMs", 5_000, 200],
  ])(
    "a frozen server: the acquire ends by %s with NetworkTimeout, and ran once the server woke",
    async (_by, requestTimeout, operationTimeoutMs) => {
      const { server, backend } = await start(requestTimeout, operationTimeoutMs);
      const key = uniqueKey("glide-frozen");
      server.signal("SIGSTOP");
      const error = await failure(backend.acquire({ key, ttlMs: 60_000 }));
      expect(error.code).toBe("NetworkTimeout");
      expect(error.message).toMatch(/may have run/);
      server.signal("SIGCONT");
      // "May have run": it did.
      await waitFor(async () => (await backend.isLocked({ key })) === true, 5_000);
    },
    20_000,
  );

  it("a killed server: NetworkTimeout (GLIDE holds the command while it reconnects and cannot say it was never written)", async () => {
    const { server, backend } = await start(200, 5_000);
    await server.stop();
    const error = await failure(backend.acquire({ key: uniqueKey("glide-killed"), ttlMs: 5_000 }));
    expect(error.code).toBe("NetworkTimeout");
  }, 20_000);

  it("a closed client: ServiceUnavailable, nothing sent", async () => {
    const { backend, url } = await start(2_000, 5_000);
    const admin = createClient({ url });
    await admin.connect();
    try {
      const before = await admin.info("commandstats");
      user?.close();
      const error = await failure(
        backend.acquire({ key: uniqueKey("glide-closed"), ttlMs: 60_000 }),
      );
      expect(error.code).toBe("ServiceUnavailable");
      expect(error.message).toMatch(/GLIDE client is closed.*not sent/);
      // Nothing reached the server: no script call since (INFO itself is the only new command).
      const scriptCalls = (info: string) => /cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1];
      expect(scriptCalls(await admin.info("commandstats"))).toBe(scriptCalls(before));
    } finally {
      admin.destroy();
    }
  }, 20_000);

  it("a server busy with a script refuses the acquire: ServiceUnavailable, it did not run", async () => {
    const { backend, url } = await start(2_000, 5_000, ["--busy-reply-threshold", "50"]);
    const blocker = createClient({ url });
    const admin = createClient({ url });
    blocker.on("error", () => {});
    await Promise.all([blocker.connect(), admin.connect()]);
    try {
      const spinning = blocker.eval("while true do end return 1", { keys: [], arguments: [] });
      spinning.catch(() => {});
      await waitFor(async () => {
        const reply = await failure(backend.isLocked({ key: "probe" })).catch(() => undefined);
        return reply?.code === "ServiceUnavailable";
      }, 5_000);
      const key = uniqueKey("glide-busy");
      const error = await failure(backend.acquire({ key, ttlMs: 60_000 }));
      expect(error.code).toBe("ServiceUnavailable");
      expect(error.message).toMatch(/BUSY/);
      await admin.sendCommand(["SCRIPT", "KILL"]);
      await spinning.catch(() => {});
      expect(await backend.isLocked({ key })).toBe(false);
    } finally {
      blocker.destroy();
      admin.destroy();
    }
  }, 20_000);

  it("a read-only replica refuses the acquire: ServiceUnavailable (GLIDE reports READONLY under its own name)", async () => {
    const { backend, url } = await start(2_000, 5_000);
    const admin = createClient({ url });
    await admin.connect();
    try {
      // A replica of a primary that does not exist: it refuses every write.
      await admin.sendCommand(["REPLICAOF", "127.0.0.1", "1"]);
      const error = await failure(backend.acquire({ key: uniqueKey("glide-ro"), ttlMs: 5_000 }));
      expect(error.code).toBe("ServiceUnavailable");
      expect(error.message).toMatch(/READONLY/);
    } finally {
      await admin.sendCommand(["REPLICAOF", "NO", "ONE"]).catch(() => {});
      admin.destroy();
    }
  }, 20_000);
});
