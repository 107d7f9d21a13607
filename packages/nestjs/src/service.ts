import {
  type Election,
  type ElectionOptions,
  elect,
  type IfFreeResult,
  type LeaderTerm,
  type LockContext,
  type LockFunction,
  type LockOptions,
  type SemaphoreOptions,
} from "@syncguard/core";

/**
 * SyncGuard in a Nest application: inject it anywhere once `SyncGuardModule` is imported.
 * `lock`, `ifFree` and `semaphore` are the module's lock function's own, and `elect` campaigns
 * through it (see `@syncguard/core`).
 */
export class SyncGuardService {
  readonly #lock: LockFunction;
  readonly #closeOnShutdown: boolean;

  constructor(lock: LockFunction, closeOnShutdown: boolean) {
    this.#lock = lock;
    this.#closeOnShutdown = closeOnShutdown;
  }

  /** The lock function the module was given (for APIs that take one, like `runOnce`). */
  get lockFunction(): LockFunction {
    return this.#lock;
  }

  /**
   * Runs `fn` holding `options.key`: waits for the lock (within `timeoutMs`), renews it while
   * `fn` works, always releases it; returns what `fn` returns.
   */
  lock<T>(fn: (context: LockContext) => T | Promise<T>, options: LockOptions): Promise<T> {
    return this.#lock(fn, options);
  }

  /** Runs `fn` only if `options.key` is free now: `{ ran: false }` when another holder has it. */
  ifFree<T>(
    fn: (context: LockContext) => T | Promise<T>,
    options: LockOptions,
  ): Promise<IfFreeResult<T>> {
    return this.#lock.ifFree(fn, options);
  }

  /**
   * Runs `fn` holding one permit of a counting semaphore: at most `options.permits` holders of
   * `options.key` at once. Rejects `InvalidArgument` when the backend has no semaphores.
   */
  semaphore<T>(
    fn: (context: LockContext) => T | Promise<T>,
    options: SemaphoreOptions,
  ): Promise<T> {
    return this.#lock.semaphore(fn, options);
  }

  /**
   * Campaigns for leadership of `options.key` and runs `lead` for each term this process wins
   * (its fence is the term). The election ends on `resign()` or when the module shuts down.
   */
  elect(options: ElectionOptions, lead: (term: LeaderTerm) => unknown): Election {
    return elect(this.#lock, options, lead);
  }

  /** Nest's shutdown hook: closes the lock function unless `closeOnShutdown: false`. */
  async onApplicationShutdown(): Promise<void> {
    if (this.#closeOnShutdown) await this.#lock.close();
  }
}
