import { isLockError } from "@syncguard/core";
import { createClient } from "redis";
import { createRedisBackend } from "../src";

// Config is validated synchronously, before the client is touched: an unconnected client is fine.
const client = createClient();

describe("backend options", () => {
  it.each([
    ["empty prefix", { keyPrefix: "" }],
    ["non-string prefix", { keyPrefix: 7 as unknown as string }],
    ["prefix with {", { keyPrefix: "app{x" }],
    ["prefix with }", { keyPrefix: "app}" }],
    ["prefix over 256 bytes", { keyPrefix: "é".repeat(129) }],
    ["non-boolean cleanup", { cleanupInIsLocked: "yes" as unknown as boolean }],
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
