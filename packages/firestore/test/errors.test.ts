import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { classifyFirestoreError } from "../src";
import { toFirestoreLockError } from "../src/errors";

const run = promisify(execFile);

describe("error mapping against an unreachable server", () => {
  it("every operation ends in NetworkTimeout within operationTimeoutMs; an abort wins over the wait", async () => {
    // The client alone retries an unreachable server for ~40 s before reporting UNAVAILABLE.
    const { stdout } = await run(
      process.execPath,
      [join(__dirname, "fixtures", "unreachable.js")],
      { env: { ...process.env, METADATA_SERVER_DETECTION: "none" }, timeout: 30_000 },
    );
    const report = JSON.parse(stdout) as {
      timeouts: { code: string; message: string }[];
      timeoutMs: number;
      aborted: { code: string };
      abortMs: number;
    };
    expect(report.timeouts).toHaveLength(6);
    for (const error of report.timeouts) {
      expect(error.code).toBe("NetworkTimeout");
      expect(error.message).toMatch(/outcome is unknown/);
    }
    expect(report.timeoutMs).toBeLessThan(3000);
    expect(report.aborted.code).toBe("Aborted");
    expect(report.abortMs).toBeLessThan(1000);
  });
});

describe("gRPC status classification", () => {
  /** Shaped like the client's errors: an Error with a numeric gRPC `code`. */
  const grpcError = (code: number, message = "x") => Object.assign(new Error(message), { code });

  it.each([
    [14, "UNAVAILABLE", "ServiceUnavailable"],
    [13, "INTERNAL", "ServiceUnavailable"],
    [10, "ABORTED (after retries)", "ServiceUnavailable"],
    [4, "DEADLINE_EXCEEDED", "NetworkTimeout"],
    [7, "PERMISSION_DENIED", "AuthFailed"],
    [16, "UNAUTHENTICATED", "AuthFailed"],
    [8, "RESOURCE_EXHAUSTED", "RateLimited"],
    [9, "FAILED_PRECONDITION", "InvalidArgument"],
    [3, "INVALID_ARGUMENT", "InvalidArgument"],
    [5, "NOT_FOUND", "Internal"],
    [2, "UNKNOWN", "Internal"],
  ])("%i %s -> %s, with the original as cause", (code, _name, expected) => {
    const original = grpcError(code);
    expect(classifyFirestoreError(original)).toBe(expected);
    const mapped = toFirestoreLockError(original, "acquire", "locks");
    expect(mapped.code).toBe(expected);
    expect(mapped.cause).toBe(original);
  });

  it("FAILED_PRECONDITION names the lockId index to create", () => {
    const mapped = toFirestoreLockError(
      grpcError(9, "The query requires an index."),
      "release",
      "app_locks",
    );
    expect(mapped.message).toMatch(/single-field index on "lockId"/);
    expect(mapped.message).toMatch(/"app_locks"/);
  });

  it("errors without a status are Internal; LockErrors pass through", () => {
    expect(classifyFirestoreError(new Error("boom"))).toBe("Internal");
    expect(classifyFirestoreError("text")).toBe("Internal");
    const original = toFirestoreLockError(grpcError(14), "acquire", "locks");
    expect(toFirestoreLockError(original, "again", "locks")).toBe(original);
  });
});
