import { isLockError } from "@syncguard/core";
import { createClient } from "redis";
import { createLock, createRedisBackend } from "../src";

// Config is validated synchronously, before the client is touched: an unconnected client is fine.
const client = createClient();

describe("backend options", () => {
  it.each([
    ["empty prefix", { keyPrefix: "" }],
    ["non-string prefix", { keyPrefix: 7 as unknown as string }],
    ["prefix with {", { keyPrefix: "app{x" }],
    ["prefix with }", { keyPrefix: "app}" }],
    ["prefix over 256 bytes", { keyPrefix: "é".repeat(129) }],
    ["logger without error()", { logger: { warn: () => undefined } as never }],
    ["logger that is a string", { logger: "console" as never }],
  ])("rejects %s with InvalidArgument", (_name, options) => {
    let error: unknown;
    try {
      createRedisBackend(client, options);
    } catch (e) {
      error = e;
    }
    expect(isLockError(error, "InvalidArgument")).toBe(true);
  });

  it.each([
    [
      "a misspelt option",
      { keyPrefx: "app" },
      /Unknown option "keyPrefx".*did you mean keyPrefix\?/,
    ],
    [
      "cleanupInIsLocked, which Redis never needed",
      { cleanupInIsLocked: true },
      /Redis deletes expired locks by itself/,
    ],
    ["a lock option", { ttlMs: 1_000 }, /ttlMs is a lock option: pass it to createLock\(\)/],
    ["2.x's backend onReleaseError", { onReleaseError: () => undefined }, /lock option/],
  ])("refuses %s by name, before touching the client", (_name, options, message) => {
    expect(() => createRedisBackend(client, options as never)).toThrow(
      expect.objectContaining({ code: "InvalidArgument", message: expect.stringMatching(message) }),
    );
  });

  it("createLock takes backend options and lock defaults flat, and refuses unknown ones", () => {
    expect(() =>
      createLock(client, { keyPrefix: "app", ttlMs: 1_234, onEvent: () => undefined }),
    ).not.toThrow();
    expect(() => createLock(client, { defaults: { ttlMs: 1_234 } } as never)).toThrow(
      /lock defaults now sit beside the backend options/,
    );
    expect(() => createLock(client, { timeout: 5 } as never)).toThrow(/did you mean timeoutMs\?/);
    expect(() => createLock(client, { keyPrefx: "app" } as never)).toThrow(
      /did you mean keyPrefix\?/,
    );
    expect(() => createLock(client, { ttlMs: 0 })).toThrow(/ttlMs/);
  });

  it("accepts console and a custom { warn, error } as logger", () => {
    expect(() => createRedisBackend(client, { logger: console })).not.toThrow();
    const logger = { warn: () => undefined, error: () => undefined };
    expect(() => createRedisBackend(client, { logger })).not.toThrow();
  });

  it("accepts defaults and a 256-byte prefix", () => {
    expect(createRedisBackend(client).capabilities.backend).toBe("redis");
    expect(() => createRedisBackend(client, { keyPrefix: "p".repeat(256) })).not.toThrow();
  });

  it("rejects something that is not a client", () => {
    expect(() => createRedisBackend({} as never)).toThrow(/node-redis client/);
  });
});
