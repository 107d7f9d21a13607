import type { BackendCapabilities, LockBackend } from "@syncguard/core";
import type { SuiteName } from "./suite-names";

/** The test-registration functions the suite uses. Defaults to the runner's globals (jest, vitest). */
export interface TestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void> | void, timeoutMs?: number) => void;
  beforeAll: (fn: () => Promise<void> | void, timeoutMs?: number) => void;
  afterAll: (fn: () => Promise<void> | void, timeoutMs?: number) => void;
  /**
   * Registers a skipped test. Optional: defaults to the global `it.skip` when `it` is the global
   * one; otherwise a skipped test is registered as a passing test whose name says "skipped".
   */
  skip?: (name: string, fn: () => void) => void;
}

/** How child processes build their own backend for the multi-process race. */
export interface WorkerFactory {
  /** Absolute path of a JavaScript module (CommonJS or ESM) the child can import. */
  modulePath: string;
  /**
   * Name of the export to call: `() => LockBackend | Promise<LockBackend>`. The module may also
   * export `close()` to release connections. Default "createBackend".
   */
  exportName?: string;
  /** Extra environment for the children (connection URLs and the like). */
  env?: Record<string, string>;
}

export interface ConformanceOptions<C extends BackendCapabilities = BackendCapabilities> {
  /** Shown in the top-level describe block, e.g. "redis (cluster)". */
  name: string;
  /** Builds the backend under test; called once, before the first test. */
  createBackend: () => LockBackend<C> | Promise<LockBackend<C>>;
  /** Closes connections after the last test. */
  teardown?: () => void | Promise<void>;
  /**
   * Optional features the backend has. Tests of an undeclared feature are reported as skipped;
   * a declared feature the backend lacks fails its tests.
   */
  capabilities?: {
    /** The backend implements `subscribe()` (wake-ups on release): enables `[wake.release]`. */
    subscribe?: boolean;
    /** The driver implements `list` (core's `listLocks`): enables `[inventory.list]`. */
    list?: boolean;
    /** The driver implements `readFence` (core's `readFence`): enables `[inventory.fence]`. */
    readFence?: boolean;
    /**
     * The driver keeps a wait queue in the store (fair hand-off across processes, specs/
     * interface.md §8.3: it queues core's waiters, reserves a released key for the oldest and
     * implements `withdraw`): enables `[wait.fair]`, `[wait.reserved]` and `[wait.withdraw]`.
     * With `semaphore` too, the queue covers permits (the permit driver's `withdraw`): enables
     * `[semaphore.fair-processes]` and `[semaphore.withdraw]`. Needs `createPeerBackend`.
     */
    waitQueue?: boolean;
    /**
     * The driver has permits (counting semaphores, ADR-039: `acquire`, `release`, `extend` and a
     * `watch` for wake-ups): enables the `[semaphore.*]` rules.
     */
    semaphore?: boolean;
    /**
     * The driver's permits also implement `read` and `list` (ADR-041: core's `getSemaphore`,
     * `forceReleasePermit`, and permits in `listLocks`): enables `[semaphore.inventory]` and
     * `[semaphore.force]`. Needs `semaphore`.
     */
    semaphoreOperators?: boolean;
  };
  /**
   * Builds another backend on the same store and tables, as another process would have one (its
   * own local waiters and wake-ups). The wait-queue tests use a few; the suite closes each
   * (`close()`) before `teardown`.
   */
  createPeerBackend?: () => LockBackend<C> | Promise<LockBackend<C>>;
  /** Enables the multi-process race suite. Without it that suite is reported as skipped. */
  worker?: WorkerFactory;
  /** Race size: processes x critical sections each. Default 4 x 25. */
  race?: { processes?: number; iterations?: number };
  /**
   * Critical sections per process of the semaphore race (8 processes, 3 permits). Default 10;
   * a slow store may run fewer.
   */
  semaphoreRace?: { iterations?: number };
  /**
   * Multiplies every TTL, wait and deadline the suite uses. Slow backends (the Firestore emulator
   * serializes contended transactions) pass 2 or 3. Default 1.
   */
  timeScale?: number;
  /** Override the runner functions (for runners without jest-style globals). */
  testApi?: TestApi;
  /**
   * Strings that must never appear in an error message, console line or lock event of the run,
   * such as the password of the connection under test (the `secrets` suite checks; lockIds the
   * run saw issued are always checked).
   */
  secrets?: readonly string[];
  /** Run only these suites (default: all). Useful while developing a backend. */
  suites?: readonly SuiteName[];
}
