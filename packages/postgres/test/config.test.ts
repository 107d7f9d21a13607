import { isLockError } from "@syncguard/core";
import { createPostgresBackend, type PgClientLike, type PostgresBackendOptions } from "../src";

// Option validation happens before any I/O: this fake client fails the test if it is ever used.
const untouchable = {
  query: () => {
    throw new Error("no I/O expected");
  },
} as unknown as PgClientLike;

describe("options are validated synchronously (InvalidArgument)", () => {
  it.each<[string, unknown]>([
    ["schema with upper case", { schema: "Locks" }],
    ["schema with a quote", { schema: 'a"b' }],
    ["schema starting with a digit", { schema: "1abc" }],
    ["empty schema", { schema: "" }],
    ["schema reserved by PostgreSQL", { schema: "pg_locks" }],
    ["schema over 63 characters", { schema: "s".repeat(64) }],
    ["prefix with a dot", { tablePrefix: "a.b" }],
    ["prefix too long for its function names", { tablePrefix: "p".repeat(50) }],
    ["non-boolean notify", { notify: "yes" }],
    ["non-boolean cleanupInIsLocked", { cleanupInIsLocked: 1 }],
    ["zero operationTimeoutMs", { operationTimeoutMs: 0 }],
    ["logger without error()", { logger: { warn: () => undefined } }],
    ["logger that is a string", { logger: "console" }],
    ["options that are not an object", "public"],
  ])("%s", (_name, options) => {
    let error: unknown;
    try {
      createPostgresBackend(untouchable, options as PostgresBackendOptions);
    } catch (e) {
      error = e;
    }
    expect(isLockError(error, "InvalidArgument")).toBe(true);
    expect((error as Error).message).not.toBe("");
  });

  it("accepts an empty prefix and the longest legal one", () => {
    expect(() => createPostgresBackend(untouchable, { tablePrefix: "" })).not.toThrow();
    expect(() => createPostgresBackend(untouchable, { tablePrefix: "p".repeat(49) })).not.toThrow();
  });

  it("a client without query() is refused, naming both supported clients", () => {
    let error: unknown;
    try {
      createPostgresBackend({} as PgClientLike);
    } catch (e) {
      error = e;
    }
    expect(isLockError(error, "InvalidArgument")).toBe(true);
    expect((error as Error).message).toMatch(/node-postgres Pool or connected Client/);
    expect((error as Error).message).toMatch(/postgres\.js/);
  });
});
