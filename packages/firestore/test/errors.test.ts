import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { classifyFirestoreError } from "../src";
import { toFirestoreLockError } from "../src/errors";

const run = promisify(execFile);

describe("a client without a project id", () => {
  it("fails as InvalidArgument saying how to give it one, not as Internal", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, METADATA_SERVER_DETECTION: "none" };
    for (const name of ["FIRESTORE_EMULATOR_HOST", "GCLOUD_PROJECT", "GOOGLE_CLOUD_PROJECT"]) {
      delete env[name];
    }
    const { stdout } = await run(process.execPath, [join(__dirname, "fixtures", "no-project.js")], {
      env,
      timeout: 30_000,
    });
    const outcome = JSON.parse(stdout) as { code: string; message: string };
    expect(outcome.code).toBe("InvalidArgument");
    expect(outcome.message).toMatch(/no project id.*new Firestore\(\{ projectId \}\)/s);
  });
});

describe("error mapping against an unreachable server", () => {
  it("every operation ends in ServiceUnavailable (nothing sent) within operationTimeoutMs; an abort wins over the wait", async () => {
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
      // Connection refused: no commit can have been sent, so nothing was written.
      expect(error.code).toBe("ServiceUnavailable");
      expect(error.message).toMatch(/nothing was written/);
    }
    expect(report.timeoutMs).toBeLessThan(3000);
    expect(report.aborted.code).toBe("Aborted");
    expect(report.abortMs).toBeLessThan(1000);
  });
});

describe("gRPC status classification", () => {
  /** Shaped like the client's errors: an Error with a numeric gRPC `code`. */
  const grpcError = (code: number, message = "x") => Object.assign(new Error(message), { code });

  // classify: the status alone; then what it means before any commit was sent (nothing written)
  // and after one was (the write may have landed).
  it.each([
    [14, "UNAVAILABLE", "ServiceUnavailable", "ServiceUnavailable", "NetworkTimeout"],
    [13, "INTERNAL", "ServiceUnavailable", "ServiceUnavailable", "NetworkTimeout"],
    [10, "ABORTED (after retries)", "ServiceUnavailable", "ServiceUnavailable", "NetworkTimeout"],
    [4, "DEADLINE_EXCEEDED", "NetworkTimeout", "ServiceUnavailable", "NetworkTimeout"],
    [8, "RESOURCE_EXHAUSTED", "RateLimited", "RateLimited", "NetworkTimeout"],
    [7, "PERMISSION_DENIED", "AuthFailed", "AuthFailed", "AuthFailed"],
    [16, "UNAUTHENTICATED", "AuthFailed", "AuthFailed", "AuthFailed"],
    [9, "FAILED_PRECONDITION", "InvalidArgument", "InvalidArgument", "InvalidArgument"],
    [3, "INVALID_ARGUMENT", "InvalidArgument", "InvalidArgument", "InvalidArgument"],
    [5, "NOT_FOUND", "Internal", "Internal", "Internal"],
    [2, "UNKNOWN", "Internal", "Internal", "Internal"],
  ])(
    "%i %s -> %s; before a commit %s, after %s; original kept as cause",
    (code, _name, classified, before, after) => {
      const original = grpcError(code);
      expect(classifyFirestoreError(original)).toBe(classified);
      const early = toFirestoreLockError(original, "acquire", "locks", false);
      const late = toFirestoreLockError(original, "acquire", "locks", true);
      expect([early.code, late.code]).toEqual([before, after]);
      expect(early.cause).toBe(original);
      expect(late.cause).toBe(original);
    },
  );

  it("transient messages say whether anything may have been written", () => {
    const early = toFirestoreLockError(grpcError(14, "connect failed"), "release", "locks", false);
    expect(early.message).toMatch(
      /^Firestore release failed \(no commit was sent, so nothing was written\): connect failed$/,
    );
    const late = toFirestoreLockError(grpcError(14, "connect failed"), "release", "locks", true);
    expect(late.message).toMatch(/a commit was sent, so its outcome is unknown/);
  });

  it("messages are never empty, even for errors without one", () => {
    for (const error of [grpcError(14, ""), grpcError(2, "  "), new Error(""), "", undefined]) {
      const mapped = toFirestoreLockError(error, "extend", "locks", false);
      expect(mapped.message).toMatch(/^Firestore extend failed.*\S+ and no message$/);
    }
  });

  it("FAILED_PRECONDITION names the lockId index to create", () => {
    const mapped = toFirestoreLockError(
      grpcError(9, "The query requires an index."),
      "release",
      "app_locks",
      false,
    );
    expect(mapped.message).toMatch(/single-field index on "lockId"/);
    expect(mapped.message).toMatch(/"app_locks"/);
  });

  it("errors without a status are Internal; LockErrors pass through", () => {
    expect(classifyFirestoreError(new Error("boom"))).toBe("Internal");
    expect(classifyFirestoreError("text")).toBe("Internal");
    const original = toFirestoreLockError(grpcError(14), "acquire", "locks", false);
    expect(toFirestoreLockError(original, "again", "locks", true)).toBe(original);
  });
});
