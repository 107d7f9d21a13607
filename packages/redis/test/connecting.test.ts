/**
 * What an operation does while the client is not connected (a new user's findings, issue 26):
 * refused credentials are `AuthFailed` naming the refusal, at once and on every library (lock()
 * then stops instead of retrying until its timeout), never a warning; an ioredis client whose
 * first connection cannot be made is `ServiceUnavailable` at once, nothing sent, like every other
 * client that is down.
 */
import { createLock, isLockError, type LockError, type LockEvent } from "@syncguard/core";
import { createRedisBackend } from "../src";
import { CLIENT_LABELS, type ClientLibrary, LIBRARIES, testClient } from "./helpers/clients";
import { freePort, type RedisProcess, startRedis } from "./helpers/process";
import { uniqueKey, waitFor } from "./helpers/services";

async function failure(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLockError(error)) throw new Error(`expected a LockError, got ${String(error)}`);
  return error;
}

/** A lock() that records how its acquisition ended, and what the backend logged. */
function observedLock(client: Parameters<typeof createRedisBackend>[0]) {
  const events: LockEvent[] = [];
  const logged: string[] = [];
  const logger = {
    warn: (message: string) => logged.push(message),
    error: (message: string) => logged.push(message),
  };
  const lock = createLock(createRedisBackend(client, { logger }), {
    onEvent: (event) => events.push(event),
  });
  const failedAttempts = () =>
    events.flatMap((event) => (event.type === "failed" ? [event.attempts] : []));
  return { lock, logged, failedAttempts };
}

describe.each(LIBRARIES.map((library) => [CLIENT_LABELS[library], library] as const))(
  "refused credentials on %s",
  (_label: string, library: ClientLibrary) => {
    let server: RedisProcess | undefined;
    afterEach(async () => {
      await server?.stop();
      server = undefined;
    });

    const refusedClient = async () => {
      const password = "right-pw-1";
      server = await startRedis(["--requirepass", password], password);
      const user = testClient(library, `redis://:wrong-pw-1@127.0.0.1:${server.port}`);
      let refusals = 0;
      (user.client as unknown as NodeJS.EventEmitter).on("error", () => {
        refusals += 1;
      });
      return { user, refused: () => waitFor(async () => refusals > 0, 5_000) };
    };

    // An application that does not wait for connect() (it never resolves: the client keeps
    // retrying), or whose client reconnects after a password rotation.
    it("are AuthFailed naming the refusal, on lock()'s first attempt, for a backend made before the client tried", async () => {
      const { user, refused } = await refusedClient();
      const { lock, logged, failedAttempts } = observedLock(user.client);
      void user.connect().catch(() => {});
      await refused();
      try {
        const error = await failure(
          lock(() => "ran", { key: uniqueKey("auth"), timeoutMs: 5_000 }),
        );
        expect(error.code).toBe("AuthFailed");
        expect(error.message).toMatch(/refused its credentials \(WRONGPASS/);
        expect(error.message).not.toContain("wrong-pw-1");
        expect(failedAttempts()).toEqual([1]);
        expect(logged).toEqual([]);
      } finally {
        await lock.close();
        user.destroy();
      }
    }, 20_000);

    it("are AuthFailed for a backend made after the client was refused, as soon as the client retries", async () => {
      const { user, refused } = await refusedClient();
      void user.connect().catch(() => {});
      await refused();
      const { lock, logged } = observedLock(user.client);
      try {
        const error = await failure(
          lock(() => "ran", { key: uniqueKey("auth"), timeoutMs: 5_000 }),
        );
        expect(error.code).toBe("AuthFailed");
        expect(error.message).toMatch(/refused its credentials \(WRONGPASS/);
        expect(logged).toEqual([]);
      } finally {
        await lock.close();
        user.destroy();
      }
    }, 20_000);
  },
);

describe.each([
  ["ioredis 6", "ioredis"],
  ["ioredis 5", "ioredis5"],
] as const)("%s before its first connection", (_label, library) => {
  let server: RedisProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it("with a wrong password: AuthFailed at the first operation, no warning", async () => {
    const password = "right-pw-2";
    server = await startRedis(["--requirepass", password], password);
    const user = testClient(library, `redis://:wrong-pw-2@127.0.0.1:${server.port}`);
    const { lock, logged, failedAttempts } = observedLock(user.client);
    try {
      const error = await failure(lock(() => "ran", { key: uniqueKey("auth"), timeoutMs: 5_000 }));
      expect(error.code).toBe("AuthFailed");
      expect(error.message).toMatch(/WRONGPASS/);
      expect(failedAttempts()).toEqual([1]);
      expect(logged).toEqual([]);
    } finally {
      await lock.close();
      user.destroy();
    }
  }, 20_000);

  it("with Redis down: ServiceUnavailable at once, the command never sent, from lock() and from a direct call", async () => {
    const user = testClient(library, `redis://127.0.0.1:${await freePort()}`);
    const backend = createRedisBackend(user.client);
    try {
      const direct = await failure(backend.acquire({ key: uniqueKey("down"), ttlMs: 1_000 }));
      expect(direct.code).toBe("ServiceUnavailable");
      expect(direct.message).toMatch(/ECONNREFUSED.*the command was not sent/);
      const events: LockEvent[] = [];
      const error = await failure(
        createLock(backend)(() => "ran", {
          key: uniqueKey("down"),
          timeoutMs: 1_000,
          onEvent: (event) => events.push(event),
        }),
      );
      expect(error.code).toBe("ServiceUnavailable");
      expect(error.message).toMatch(/not sent/);
      expect(events.filter((event) => event.type === "failed")).toHaveLength(1);
    } finally {
      await backend.close();
      user.destroy();
    }
  }, 20_000);
});
