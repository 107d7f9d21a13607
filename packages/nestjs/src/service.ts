import type { IfFreeResult, LockContext, LockFunction, LockOptions } from "@syncguard/core";

/**
 * SyncGuard in a Nest application: inject it anywhere once `SyncGuardModule` is imported.
 * `lock` and `ifFree` are the module's lock function's own (see `@syncguard/core`).
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

  /** Nest's shutdown hook: closes the lock function unless `closeOnShutdown: false`. */
  async onApplicationShutdown(): Promise<void> {
    if (this.#closeOnShutdown) await this.#lock.close();
  }
}
