import type { Firestore } from "@google-cloud/firestore";
import { isLockError, type LockErrorCode } from "@syncguard/core";
import { generateLockId } from "@syncguard/core/driver";
import { createFirestoreBackend, createLock, FIRESTORE_DEFAULTS } from "../src";
import { clearProject, docIds, freshBackend, newDb, projectIdFor, warmUp } from "./helpers";

const projectId = projectIdFor("config");
let db: Firestore;

beforeAll(async () => {
  db = newDb(projectId);
  await clearProject(projectId);
  await warmUp(db);
});
afterAll(() => db.terminate());

function codeOf(fn: () => unknown): LockErrorCode | "no error" {
  try {
    fn();
  } catch (error) {
    if (isLockError(error)) return error.code;
    throw error;
  }
  return "no error";
}

async function rejection(promise: Promise<unknown>): Promise<LockErrorCode | "no error"> {
  try {
    await promise;
  } catch (error) {
    if (isLockError(error)) return error.code;
    throw error;
  }
  return "no error";
}

describe("configuration", () => {
  it("has the seed's defaults and capabilities", () => {
    expect(FIRESTORE_DEFAULTS).toMatchObject({
      collection: "locks",
      fenceCollection: "fence_counters",
      cleanupInIsLocked: false,
    });
    const backend = createFirestoreBackend(db);
    expect(backend.capabilities).toEqual({
      backend: "firestore",
      supportsFencing: true,
      timeAuthority: "client",
    });
    expect(typeof createLock(db)).toBe("function");
  });

  it("rejects collection === fenceCollection synchronously", () => {
    expect(
      codeOf(() => createFirestoreBackend(db, { collection: "x", fenceCollection: "x" })),
    ).toBe("InvalidArgument");
    expect(codeOf(() => createFirestoreBackend(db, { collection: "fence_counters" }))).toBe(
      "InvalidArgument",
    );
  });

  it.each([
    ["empty", ""],
    ["slash", "a/b"],
    ["dot", "."],
    ["dot-dot", ".."],
    ["reserved", "__locks__"],
    ["too long", "c".repeat(1501)],
  ])("rejects an illegal collection id (%s)", (_label, name) => {
    expect(codeOf(() => createFirestoreBackend(db, { collection: name }))).toBe("InvalidArgument");
    expect(codeOf(() => createFirestoreBackend(db, { fenceCollection: name }))).toBe(
      "InvalidArgument",
    );
  });

  it("rejects non-string names, a bad cleanup flag, timeout, clock or client", () => {
    const bad = [
      { collection: 5 },
      { cleanupInIsLocked: "yes" },
      { operationTimeoutMs: 0 },
      { operationTimeoutMs: 1.5 },
      // A Node timer cannot hold more: the deadline would fire at once (issue 13, item 10).
      { operationTimeoutMs: 2 ** 31 },
      { operationTimeoutMs: Number.POSITIVE_INFINITY },
      { clock: 1 },
      { logger: {} },
      { logger: { warn: () => undefined } },
    ] as unknown as Parameters<typeof createFirestoreBackend>[1][];
    for (const options of bad) {
      expect(codeOf(() => createFirestoreBackend(db, options))).toBe("InvalidArgument");
    }
    expect(codeOf(() => createFirestoreBackend({} as Firestore))).toBe("InvalidArgument");
  });

  it("accepts the longest operationTimeoutMs a timer holds", () => {
    expect(codeOf(() => createFirestoreBackend(db, { operationTimeoutMs: 2 ** 31 - 1 }))).toBe(
      "no error",
    );
  });

  it("accepts legal custom names (1500 bytes, dots and dashes inside)", () => {
    expect(codeOf(() => createFirestoreBackend(db, { collection: "c".repeat(1500) }))).toBe(
      "no error",
    );
    expect(
      codeOf(() => createFirestoreBackend(db, { collection: "a.b-c", fenceCollection: "__x" })),
    ).toBe("no error");
  });
});

describe("bad input is rejected before any I/O", () => {
  it("writes no document for bad keys, ttls, lockIds or lookups", async () => {
    const { backend, collection, fenceCollection } = freshBackend(db);
    const lockId = "A".repeat(36);
    const cases: Promise<unknown>[] = [
      backend.acquire({ key: "", ttlMs: 1000 }),
      backend.acquire({ key: 42 as unknown as string, ttlMs: 1000 }),
      backend.acquire({ key: "k".repeat(4097), ttlMs: 1000 }),
      backend.acquire({ key: "\uD800", ttlMs: 1000 }),
      backend.acquire({ key: "k", ttlMs: 0 }),
      backend.acquire({ key: "k", ttlMs: 1.5 }),
      backend.acquire({ key: "k", ttlMs: -1 }),
      backend.release({ lockId: "short" }),
      backend.extend({ lockId: "bad id with spaces!!!!!!", ttlMs: 1000 }),
      backend.extend({ lockId, ttlMs: 0 }),
      backend.isLocked({ key: "" }),
      backend.lookup({} as { key: string }),
      backend.lookup({ key: "k", lockId } as unknown as { key: string }),
      backend.subscribe("", () => undefined),
      // A lockId made for another key, and signals that could never fire.
      backend.acquire({ key: "k", ttlMs: 1000, lockId: generateLockId("other") }),
      backend.acquire({ key: "k", ttlMs: 1000, signal: {} as AbortSignal }),
      backend.release({ lockId, signal: {} as AbortSignal }),
      backend.extend({ lockId, ttlMs: 1000, signal: {} as AbortSignal }),
      backend.isLocked({ key: "k", signal: {} as AbortSignal }),
      backend.lookup({ key: "k", signal: {} as AbortSignal }),
    ];
    for (const pending of cases) expect(await rejection(pending)).toBe("InvalidArgument");
    expect(await docIds(db, collection)).toEqual([]);
    expect(await docIds(db, fenceCollection)).toEqual([]);
  });

  it("honours an already-aborted signal before dispatch", async () => {
    const { backend, collection, fenceCollection } = freshBackend(db);
    const signal = AbortSignal.abort();
    const lockId = "A".repeat(36);
    const cases = [
      backend.acquire({ key: "k", ttlMs: 1000, signal }),
      backend.release({ lockId, signal }),
      backend.extend({ lockId, ttlMs: 1000, signal }),
      backend.isLocked({ key: "k", signal }),
      backend.lookup({ key: "k", signal }),
      backend.lookup({ lockId, signal }),
    ];
    for (const pending of cases) expect(await rejection(pending)).toBe("Aborted");
    expect(await docIds(db, collection)).toEqual([]);
    expect(await docIds(db, fenceCollection)).toEqual([]);
  });
});
