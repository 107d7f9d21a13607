import assert from "node:assert/strict";
import type {
  BackendCapabilities,
  ExtendResult,
  LockBackend,
  LockContext,
  LockOptions,
  ReleaseResult,
} from "@syncguard/core";
import { type AcquireLocked, TIME_TOLERANCE_MS, type Unsubscribe } from "@syncguard/core/driver";
import { eventually } from "./helpers";
import type { LeakWatch } from "./leak-watch";
import type { ConformanceOptions } from "./options";
import type { RuleId } from "./rules";
import type { StrayErrors } from "./stray-errors";

/** An acquire success seen by the suite: `fence` is present when the backend fences. */
export interface AcquiredLock {
  readonly ok: true;
  readonly lockId: string;
  readonly expiresAtMs: number;
  readonly fence?: string;
}

export interface SeenLockInfo {
  readonly key: string;
  readonly lockIdHash: string;
  readonly acquiredAtMs: number;
  readonly expiresAtMs: number;
  readonly fence?: string;
}

/**
 * The backend as the suite drives it. `LockBackend<C>` types `fence` through a conditional type
 * the suite cannot name generically, and validation tests must pass ill-typed input on purpose,
 * so the suite talks to this one loose shape (the same methods, unknown inputs allowed).
 */
export interface BackendUnderTest {
  readonly capabilities: Readonly<BackendCapabilities>;
  acquire(options: {
    key: unknown;
    ttlMs: unknown;
    lockId?: unknown;
    signal?: AbortSignal;
  }): Promise<AcquiredLock | AcquireLocked>;
  release(options: { lockId: unknown; signal?: AbortSignal }): Promise<ReleaseResult>;
  extend(options: { lockId: unknown; ttlMs: unknown; signal?: AbortSignal }): Promise<ExtendResult>;
  isLocked(options: { key: unknown; signal?: AbortSignal }): Promise<boolean>;
  lookup(options: {
    key?: unknown;
    lockId?: unknown;
    signal?: AbortSignal;
  }): Promise<SeenLockInfo | null>;
  subscribe?(key: string, listener: () => void): Promise<Unsubscribe>;
}

/** What every suite receives. The backend exists only once `beforeAll` has run. */
export interface SuiteContext {
  readonly options: ConformanceOptions;
  /** The backend under test (throws if read before setup). */
  readonly backend: BackendUnderTest;
  /** Multiplies TTLs, waits and deadlines: `ms(300)` is 300 ms at timeScale 1. */
  ms(base: number): number;
  /** True when the backend declares `supportsFencing`. */
  readonly fencing: boolean;
  /** Registers one test. The name is `[rule] title`. */
  test(rule: RuleId, title: string, run: () => Promise<void>, options?: TestOptions): void;
  /** Registers a test reported as skipped, with the reason in its name. */
  skip(rule: RuleId, title: string, reason: string): void;
  /** Watches errors, console lines and events of the run for leaked lockIds and secrets. */
  readonly watch: LeakWatch;
  /** Unhandled rejections and uncaught exceptions recorded while the suite runs. */
  readonly strays: StrayErrors;
  /** core's `lock()` over the backend under test, its events, errors and lockIds watched. */
  lock(): WatchedLock;
  /**
   * Another backend on the same store (`options.createPeerBackend`), as another process would
   * have one; closed by the suite before teardown.
   */
  peer(): Promise<BackendUnderTest>;
  /** core's `lock()` over `backend` (a peer), watched like `lock()`. */
  lockOn(backend: BackendUnderTest): WatchedLock;
}

export type WatchedLock = <T>(
  fn: (context: LockContext<BackendCapabilities>) => T | Promise<T>,
  options: LockOptions,
) => Promise<T>;

export interface TestOptions {
  /** Test timeout at timeScale 1 (scaled). Default 15 000 ms. */
  timeoutMs?: number;
  /**
   * The test spends its time waiting for the clock (expiry, renewal), on keys of its own, and
   * observes nothing global: the runner may start it alongside the others.
   */
  waitsOnClock?: boolean;
}

/** Acquires `key` and asserts success: most tests start from a held lock. */
export async function mustAcquire(
  backend: BackendUnderTest,
  key: string,
  ttlMs: number,
  lockId?: string,
): Promise<AcquiredLock> {
  const result = await backend.acquire(
    lockId === undefined ? { key, ttlMs } : { key, ttlMs, lockId },
  );
  assert.equal(result.ok, true, `acquire of free key ${JSON.stringify(key)} must succeed`);
  return result as AcquiredLock;
}

/**
 * Holds `key` for `ttlMs`, then acquires it again (for `nextTtlMs`) as soon as that lock has
 * expired, polling within TTL + tolerance + `slackMs`. Returns the expired holder and the next.
 */
export async function expireAndReacquire(
  backend: BackendUnderTest,
  key: string,
  { ttlMs, nextTtlMs, slackMs }: { ttlMs: number; nextTtlMs: number; slackMs: number },
): Promise<{ expired: AcquiredLock; next: AcquiredLock }> {
  const expired = await mustAcquire(backend, key, ttlMs);
  let next: AcquiredLock | undefined;
  await eventually(
    async () => {
      const attempt = await backend.acquire({ key, ttlMs: nextTtlMs });
      if (attempt.ok) next = attempt as AcquiredLock;
      return attempt.ok;
    },
    ttlMs + TIME_TOLERANCE_MS + slackMs,
  );
  assert.ok(next, `the expired lock on ${JSON.stringify(key)} could not be acquired again`);
  return { expired, next };
}

/** The fence of a lock from a fencing backend (asserted present). */
export function fenceOf(lock: { fence?: string }): string {
  assert.equal(typeof lock.fence, "string", "a fencing backend must return a fence");
  return lock.fence as string;
}

/** The backend as core's helpers (getByKey, createLock...) type it. */
export function asLockBackend(backend: BackendUnderTest): LockBackend<BackendCapabilities> {
  return backend as unknown as LockBackend<BackendCapabilities>;
}
