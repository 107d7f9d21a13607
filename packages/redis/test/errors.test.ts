import { createLock, isLockError, type LockError } from "@syncguard/core";
import { createClient } from "redis";
import { classifyRedisError, createRedisBackend } from "../src";
import { toRedisLockError } from "../src/errors";
import { defineLuaScript } from "../src/scripts";
import {
  freePort,
  type RedisProcess,
  SCRIPTLESS_USER,
  startRedisWithScriptlessUser,
} from "./helpers/process";
import { redisUrl } from "./helpers/services";

async function failure(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLockError(error)) throw new Error(`expected a LockError, got ${String(error)}`);
  return error;
}

describe("error mapping", () => {
  it("refuses at once when the client cannot reach its server: ServiceUnavailable", async () => {
    const port = await freePort();
    const client = createClient({
      url: `redis://127.0.0.1:${port}`,
      socket: { reconnectStrategy: false },
    });
    client.on("error", () => {});
    await expect(client.connect()).rejects.toMatchObject({ code: "ECONNREFUSED" });
    const backend = createRedisBackend(client);
    const error = await failure(backend.acquire({ key: "k", ttlMs: 1_000 }));
    expect(error.code).toBe("ServiceUnavailable");
    expect(error.message).toMatch(/^Redis acquire failed: the client is not connected/);
  });

  it("refuses at once on a closed client: ServiceUnavailable, nothing sent", async () => {
    const client = createClient({ url: redisUrl() });
    await client.connect();
    const backend = createRedisBackend(client);
    client.destroy();
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

  it("tells 'did not run' from 'may have run' by the error's kind", () => {
    class TimeoutError extends Error {}
    class SocketClosedUnexpectedlyError extends Error {}
    class ClientOfflineError extends Error {}
    // Never written: node-redis's command timeout only runs in its offline queue.
    expect(classifyRedisError(new TimeoutError())).toBe("ServiceUnavailable");
    expect(classifyRedisError(new ClientOfflineError())).toBe("ServiceUnavailable");
    expect(classifyRedisError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe(
      "ServiceUnavailable",
    );
    // In flight when the connection broke: it may have run.
    expect(classifyRedisError(new SocketClosedUnexpectedlyError("Socket closed"))).toBe(
      "NetworkTimeout",
    );
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    expect(classifyRedisError(new Error("wrapper", { cause: reset }))).toBe("NetworkTimeout");
    expect(classifyRedisError(Object.assign(new Error("x"), { code: "ETIMEDOUT" }))).toBe(
      "NetworkTimeout",
    );
    // Refused by the server: it did not run.
    expect(classifyRedisError(new Error("LOADING Redis is loading"))).toBe("ServiceUnavailable");
    expect(classifyRedisError(new Error("WRONGTYPE Operation"))).toBeUndefined();
  });

  it("never leaves a message empty", () => {
    class TimeoutError extends Error {}
    const mapped = toRedisLockError(new TimeoutError(), "acquire");
    expect(mapped.code).toBe("ServiceUnavailable");
    expect(mapped.message).toMatch(/^Redis acquire failed: the command was never sent/);
    expect(toRedisLockError(new Error(""), "release").message).toBe("Redis release failed: Error");
  });

  describe("ACL refusals (reply texts from redis-server 7.0.15, node-redis and ioredis alike)", () => {
    // Redis 7.0 names a refused command inside a script only by the script's SHA and line.
    const inScript = (what: string, sha: string, line: number) =>
      `ERR The user executing the script ${what} script: ${sha}, on @user_script:${line}.`;
    const lineOf = (source: string, text: string) =>
      source.split("\n").findIndex((line) => line.includes(text)) + 1;

    it("names a refused top-level command", () => {
      const error = toRedisLockError(
        new Error("NOPERM this user has no permissions to run the 'evalsha' command"),
        "acquire",
      );
      expect(error.code).toBe("AuthFailed");
      expect(error.message).toMatch(
        /^Redis acquire failed: permission denied for command EVALSHA \(NOPERM/,
      );
      expect(error.message).toMatch(/least-privilege ACL/);
    });

    it("names a command refused inside a script from the script's line", () => {
      const script = defineLuaScript("aclTest", "local n = 1\nreturn redis.call('INCR', KEYS[1])");
      const reply = inScript(
        "can't run this command or subcommand",
        script.sha,
        lineOf(script.source, "'INCR'"),
      );
      const error = toRedisLockError(new Error(reply), "acquire");
      expect(error.code).toBe("AuthFailed");
      expect(error.message).toMatch(
        /^Redis acquire failed: permission denied for command INCR \(ERR/,
      );
    });

    it("resolves a command held in a constant (PUBLISH_COMMAND)", () => {
      const script = defineLuaScript(
        "aclTest",
        "return redis.call(PUBLISH_COMMAND, 'c', 'm')",
        "SPUBLISH",
      );
      const reply = inScript(
        "can't publish to the channel mentioned in the command",
        script.sha,
        lineOf(script.source, "redis.call(PUBLISH_COMMAND"),
      );
      const error = toRedisLockError(new Error(reply), "release");
      expect(error.code).toBe("AuthFailed");
      expect(error.message).toMatch(/denied for a channel it may not use \(command SPUBLISH\)/);
    });

    it("says when the key patterns do not cover the keys", () => {
      const top = toRedisLockError(
        new Error(
          "NOPERM this user has no permissions to access one of the keys used as arguments",
        ),
        "acquire",
      );
      expect(top.code).toBe("AuthFailed");
      expect(top.message).toMatch(/denied for a key it may not access: .*keyPrefix/);
      const script = defineLuaScript("aclTest", "return redis.call('GET', 'elsewhere')");
      const reply = inScript(
        "can't access at least one of the keys mentioned in the command arguments",
        script.sha,
        lineOf(script.source, "'GET'"),
      );
      expect(toRedisLockError(new Error(reply), "lookup").message).toMatch(
        /denied for a key it may not access \(command GET\)/,
      );
    });

    it("reads the command from later servers' wrapped NOPERM, and never leaves it unnamed silently", () => {
      const wrapped = toRedisLockError(
        new Error(
          "ERR ACL failure in script: NOPERM User sg has no permissions to run the 'incr' command script: 0000000000000000000000000000000000000000, on @user_script:5.",
        ),
        "acquire",
      );
      expect(wrapped.code).toBe("AuthFailed");
      expect(wrapped.message).toMatch(/permission denied for command INCR/);
      // A script SyncGuard did not define: still AuthFailed, and the message says so.
      const unknown = toRedisLockError(
        new Error(inScript("can't run this command or subcommand", "f".repeat(40), 3)),
        "acquire",
      );
      expect(unknown.code).toBe("AuthFailed");
      expect(unknown.message).toMatch(/command \(not named by the server\)/);
    });
  });

  describe("against a server with a password and ACLs", () => {
    let server: RedisProcess;
    const password = "s3cret-pw";
    beforeAll(async () => {
      server = await startRedisWithScriptlessUser(password);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("maps NOAUTH (no password) to AuthFailed, with the cause", async () => {
      // RESP2 so connecting sends no HELLO: the first command meets the auth check.
      type Client = Parameters<typeof createRedisBackend>[0];
      const options = { evictionPolicyCheck: "off" } as const;
      const cases: Array<[(client: Client) => Promise<unknown>, RegExp]> = [
        [(client) => createRedisBackend(client, options).isLocked({ key: "k" }), /^NOAUTH/],
        [
          (client) => createLock(createRedisBackend(client, options))(() => 1, { key: "k" }),
          /^NOAUTH/,
        ],
        // A queued waiter's attempt has more than 10 arguments: Redis answers an unauthenticated
        // protocol error instead of NOAUTH. (A backend's first call is its short first-use check,
        // which meets NOAUTH, so the long command is sent as the driver would and mapped alike.)
        [
          (client) =>
            (client as unknown as { sendCommand(args: string[]): Promise<unknown> })
              .sendCommand(["EVALSHA", "0".repeat(40), "3", ...Array<string>(9).fill("x")])
              .catch((error: unknown) => {
                throw toRedisLockError(error, "acquire");
              }),
          /unauthenticated/,
        ],
      ];
      for (const [op, reply] of cases) {
        const client = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 2 });
        client.on("error", () => {});
        await client.connect();
        const error = await failure(op(client as Client));
        expect(error.code).toBe("AuthFailed");
        expect(String((error.cause as Error).message)).toMatch(reply);
        client.destroy();
      }
    });

    it("maps WRONGPASS to AuthFailed", async () => {
      const client = createClient({ url: `redis://127.0.0.1:${server.port}`, RESP: 2 });
      client.on("error", () => {});
      await client.connect();
      const wrong = await client.auth({ password: "nope" }).catch((e: unknown) => e);
      expect(classifyRedisError(wrong)).toBe("AuthFailed");
      client.destroy();
    });

    it("maps NOPERM to AuthFailed", async () => {
      const client = createClient({
        url: `redis://${SCRIPTLESS_USER.name}:${SCRIPTLESS_USER.password}@127.0.0.1:${server.port}`,
      });
      client.on("error", () => {});
      await client.connect();
      const backend = createRedisBackend(client, { evictionPolicyCheck: "off" });
      const error = await failure(backend.extend({ lockId: "A".repeat(36), ttlMs: 1_000 }));
      expect(error.code).toBe("AuthFailed");
      expect(String((error.cause as Error).message)).toMatch(/^NOPERM/);
      client.destroy();
    });

    it("maps a socket timeout to NetworkTimeout", async () => {
      const url = `redis://:${password}@127.0.0.1:${server.port}`;
      const admin = createClient({ url });
      await admin.connect();
      const client = createClient({ url, socket: { socketTimeout: 100 } });
      client.on("error", () => {});
      await client.connect();
      const backend = createRedisBackend(client);
      await admin.sendCommand(["CLIENT", "PAUSE", "1000", "ALL"]);
      try {
        const error = await failure(backend.isLocked({ key: "k" }));
        expect(error.code).toBe("NetworkTimeout");
        expect((error.cause as Error).constructor.name).toBe("SocketTimeoutError");
      } finally {
        await admin.sendCommand(["CLIENT", "UNPAUSE"]);
        client.destroy();
        admin.destroy();
      }
    });
  });
});
