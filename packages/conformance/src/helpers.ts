import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  type BackendCapabilities,
  isLockError,
  type LockBackend,
  type LockErrorCode,
  type LockSummary,
  listLocks,
} from "@syncguard/core";
import { generateLockId, normalizeKey } from "@syncguard/core/driver";

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Polls `check` until it returns (or resolves) without throwing and not `false`, or fails with the
 * last reason once `deadlineMs` (a duration, on the monotonic clock; default 10 s) has passed.
 * Used instead of fixed sleeps so fast backends finish fast and slow ones get the whole budget.
 * The test kit of every SyncGuard package.
 */
export async function eventually(
  check: () => unknown,
  deadlineMs = 10_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  let lastError: unknown;
  for (;;) {
    try {
      if ((await check()) !== false) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (performance.now() >= deadline) {
      if (lastError !== undefined) throw lastError;
      throw new assert.AssertionError({ message: `condition not met within ${deadlineMs} ms` });
    }
    await sleep(intervalMs);
  }
}

/** Resolves once `signal` aborts (at once if it already has). */
export const untilAborted = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });

/** Resolves at wall-clock time `atMs` (ms since epoch). */
export const sleepUntil = (atMs: number): Promise<void> => sleep(atMs - Date.now());

/** Asserts that `action` rejects (or throws) a `LockError` with `code`. */
export async function rejectsWithCode(
  action: () => Promise<unknown>,
  code: LockErrorCode,
  what: string,
): Promise<void> {
  let outcome: unknown;
  try {
    await action();
  } catch (error) {
    outcome = error;
    if (isLockError(error, code)) return;
  }
  const got =
    outcome === undefined
      ? "it succeeded"
      : isLockError(outcome)
        ? `LockError ${outcome.code}: ${outcome.message}`
        : `${String(outcome)}`;
  assert.fail(`${what}: expected LockError ${code}, but ${got}`);
}

/** A fresh key nobody else uses, so tests need no cleanup and may share a store. */
export function uniqueKey(label: string): string {
  return `sg-conformance:${label}:${randomBytes(9).toString("base64url")}`;
}

/**
 * A well-formed lockId that no backend has issued. Given a key, it carries that key's tag, like a
 * lockId of the key's real holder would: a backend that finds locks by the tag reaches the held
 * lock and must still refuse the stranger.
 */
export function foreignLockId(key?: string): string {
  return key === undefined
    ? randomBytes(27).toString("base64url")
    : generateLockId(normalizeKey(key));
}

/** Runs `fn` and returns its result with the wall-clock times just before and after. */
export async function timed<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; t0: number; t1: number }> {
  const t0 = Date.now();
  const value = await fn();
  return { value, t0, t1: Date.now() };
}

/**
 * Every lock `listLocks` returns under `prefix`, paging with `limit` until a page has no cursor.
 * Asserts what each page may show: at most `limit` locks, each with its key, times and (on
 * fencing backends) fence only, never a lockId; and that the listing ends within 100 pages.
 */
export async function listEveryLock(
  backend: LockBackend<BackendCapabilities>,
  { prefix, limit }: { prefix: string; limit: number },
): Promise<LockSummary[]> {
  const locks: LockSummary[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = await listLocks(backend, { prefix, limit, ...(cursor ? { cursor } : {}) });
    assert.ok(
      page.locks.length <= limit,
      `a page of limit ${limit} held ${page.locks.length} locks`,
    );
    for (const lock of page.locks) {
      assert.deepEqual(
        Object.keys(lock)
          .filter((field) => field !== "fence")
          .sort(),
        ["acquiredAtMs", "expiresAtMs", "key"],
        "a listed lock shows its key, fence and times only",
      );
      locks.push(lock);
    }
    cursor = page.cursor;
    if (!cursor) return locks;
  }
  assert.fail("the listing never ended (a cursor came back on every page)");
}
