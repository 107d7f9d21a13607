/**
 * `operationTimeoutMs` (issue 26, item 6): one operation (its script call, a NOSCRIPT retry
 * included) ends by it, like on the other stores, also against a server that holds the
 * connection open and never answers (redis-server under SIGSTOP). Past it: `NetworkTimeout` when
 * the command was handed to a connected client (it may run when the server wakes),
 * `ServiceUnavailable` when it provably was not (nothing runs later).
 */
import { createLock, isLockError, type LockError } from "@syncguard/core";
import { createClient } from "redis";
import { createRedisBackend, type RedisBackend } from "../src";
import { DEFAULT_KEY_PREFIX } from "../src/config";
import { layoutForKey } from "../src/keys";
import { CLIENT_LABELS, type ClientLibrary, LIBRARIES, testClient } from "./helpers/clients";
import { type RedisProcess, startRedis } from "./helpers/process";
import { uniqueKey, waitFor } from "./helpers/services";

const OPERATION_TIMEOUT_MS = 300;

async function failure(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLockError(error)) throw new Error(`expected a LockError, got ${String(error)}`);
  return error;
}

function okLock(result: Awaited<ReturnType<RedisBackend["acquire"]>>) {
  if (!result.ok) throw new Error("expected the acquire to succeed");
  return result;
}

describe("operationTimeoutMs option", () => {
  const client = createClient({ url: "redis://127.0.0.1:1" });
  it.each([0, -1, 1.5, "100", Number.POSITIVE_INFINITY, 2 ** 31])(
    "refuses %p before any I/O",
    (value) => {
      expect(() => createRedisBackend(client, { operationTimeoutMs: value as number })).toThrow(
        expect.objectContaining({
          code: "InvalidArgument",
          message: expect.stringMatching(/^operationTimeoutMs must be a positive integer/),
        }),
      );
    },
  );

  it("is taken by createLock beside the lock defaults", () => {
    expect(() =>
      createLock(createRedisBackend(client, { operationTimeoutMs: 1_000 })),
    ).not.toThrow();
    expect(() =>
      createLock(createRedisBackend(client, { operationTimeoutMs: "x" as never })),
    ).toThrow(/operationTimeoutMs/);
  });
});

describe.each(LIBRARIES.map((library) => [CLIENT_LABELS[library], library] as const))(
  "operationTimeoutMs on %s against a frozen server",
  (_label: string, library: ClientLibrary) => {
    let server: RedisProcess | undefined;
    let admin: ReturnType<typeof createClient> | undefined;
    afterEach(async () => {
      admin?.destroy();
      admin = undefined;
      await server?.stop();
      server = undefined;
    });

    const frozenBackend = async (beforeFreeze?: () => Promise<void>) => {
      server = await startRedis([]);
      const url = `redis://127.0.0.1:${server.port}`;
      admin = createClient({ url });
      await admin.connect();
      const user = testClient(library, url);
      await user.connect();
      const backend = createRedisBackend(user.client, { operationTimeoutMs: OPERATION_TIMEOUT_MS });
      // The first-use check and the scripts are loaded before the freeze.
      const warm = okLock(await backend.acquire({ key: uniqueKey("warm"), ttlMs: 5_000 }));
      await backend.release({ lockId: warm.lockId });
      await beforeFreeze?.();
      server.signal("SIGSTOP");
      return { backend, user, frozen: server };
    };

    it("a direct acquire without a signal ends by operationTimeoutMs with NetworkTimeout, and ran once the server woke", async () => {
      const { backend, user, frozen } = await frozenBackend();
      try {
        const key = uniqueKey("direct");
        const error = await failure(backend.acquire({ key, ttlMs: 60_000 }));
        expect(error.code).toBe("NetworkTimeout");
        expect(error.message).toMatch(
          new RegExp(
            `^Redis acquire failed: no reply within operationTimeoutMs \\(${OPERATION_TIMEOUT_MS} ms\\).*may have run`,
          ),
        );
        const read = await failure(backend.isLocked({ key }));
        expect(read.code).toBe("NetworkTimeout");
        frozen.signal("SIGCONT");
        // "May have run": it did. Nobody releases a direct acquire's lock for its caller.
        await waitFor(async () => (await backend.isLocked({ key })) === true, 5_000);
      } finally {
        await backend.close();
        user.destroy();
      }
    }, 20_000);

    it("a lock() whose attempts end that way gives back the lock they took once the server answers", async () => {
      const key = uniqueKey("lock");
      const counter = layoutForKey(DEFAULT_KEY_PREFIX, key).fence;
      let before = 0;
      const { backend, user, frozen } = await frozenBackend(async () => {
        before = Number((await admin?.get(counter)) ?? 0);
      });
      try {
        let ran = false;
        const error = await failure(
          createLock(backend)(
            () => {
              ran = true;
            },
            { key, ttlMs: 60_000, timeoutMs: 1_500 },
          ),
        );
        expect(error.code).toBe("NetworkTimeout");
        expect(ran).toBe(false);
        frozen.signal("SIGCONT");
        // The attempts ran when the server woke (the route's counter moved) and their lock,
        // good for a minute, is free long before that: it was released.
        await waitFor(async () => Number((await admin?.get(counter)) ?? 0) > before, 5_000);
        await waitFor(async () => (await backend.isLocked({ key })) === false, 10_000);
      } finally {
        await backend.close();
        user.destroy();
      }
    }, 30_000);
  },
);

describe.each([
  ["ioredis 6", "ioredis"],
  ["ioredis 5", "ioredis5"],
] as const)("operationTimeoutMs on %s before its first connection", (_label, library) => {
  let server: RedisProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it("a command that never left the backend is ServiceUnavailable, and nothing runs when the server wakes", async () => {
    server = await startRedis([]);
    const url = `redis://127.0.0.1:${server.port}`;
    server.signal("SIGSTOP");
    // The kernel accepts the connection of a stopped server; its handshake is never answered.
    const user = testClient(library, url);
    void user.connect().catch(() => {});
    const backend = createRedisBackend(user.client, { operationTimeoutMs: OPERATION_TIMEOUT_MS });
    try {
      const key = uniqueKey("first");
      const error = await failure(backend.acquire({ key, ttlMs: 60_000 }));
      expect(error.code).toBe("ServiceUnavailable");
      expect(error.message).toMatch(/first connection.*not sent/);
      server.signal("SIGCONT");
      await waitFor(async () => user.ready(), 5_000);
      const admin = createClient({ url });
      await admin.connect();
      expect(await admin.dbSize()).toBe(0);
      admin.destroy();
    } finally {
      await backend.close();
      user.destroy();
    }
  }, 20_000);
});
