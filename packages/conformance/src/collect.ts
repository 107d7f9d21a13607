import { createLock, whenIdle } from "@syncguard/core";
import {
  asLockBackend,
  type BackendUnderTest,
  type SuiteContext,
  type TestOptions,
  type WatchedLock,
} from "./context";
import { LeakWatch } from "./leak-watch";
import type { ConformanceOptions } from "./options";
import type { RuleId } from "./rules";
import { StrayErrors } from "./stray-errors";
import { SUITE_NAMES, type SuiteName } from "./suite-names";
import { SUITES } from "./suites";

/** One registered check. `run` needs `plan.setup()` to have resolved first. */
export interface ConformanceTest {
  readonly suite: SuiteName;
  readonly rule: RuleId;
  /** `[rule] title`, as shown by the runner. */
  readonly name: string;
  /** Already multiplied by timeScale. */
  readonly timeoutMs: number;
  /** Set when the test cannot run on this backend; `run` is then a no-op. */
  readonly skipReason?: string;
  /**
   * The test mostly waits for the clock on keys of its own: a runner may start it right after
   * setup, alongside the others (`runConformance` does), to keep the suite's wall time short.
   */
  readonly waitsOnClock: boolean;
  run(): Promise<void>;
}

export interface ConformancePlan {
  readonly name: string;
  /** Builds the backend (once). */
  setup(): Promise<void>;
  /** Calls the options' teardown. */
  teardown(): Promise<void>;
  readonly suites: ReadonlyArray<{ readonly name: SuiteName; readonly tests: ConformanceTest[] }>;
  /** Timeout for setup and teardown, scaled. */
  readonly hookTimeoutMs: number;
}

const DEFAULT_TEST_TIMEOUT_MS = 15_000;

/**
 * Builds every conformance test for `options` without registering anything, so any runner (or
 * a test of the suite itself) can execute them. `runConformance` is built on this.
 */
export function collectConformanceTests(options: ConformanceOptions): ConformancePlan {
  const scale = options.timeScale ?? 1;
  if (!(scale > 0)) throw new Error("timeScale must be a positive number");
  const wanted = new Set<SuiteName>(options.suites ?? SUITE_NAMES);
  let backend: BackendUnderTest | undefined;
  const peers: BackendUnderTest[] = [];
  const watch = new LeakWatch(options.secrets);
  const strays = new StrayErrors();

  const suites = SUITE_NAMES.filter((name) => wanted.has(name)).map((suite) => {
    const tests: ConformanceTest[] = [];
    const add = (
      rule: RuleId,
      title: string,
      run: () => Promise<void>,
      testOptions: TestOptions = {},
      skipReason?: string,
    ) => {
      const timeoutMs = Math.ceil((testOptions.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS) * scale);
      const waitsOnClock = testOptions.waitsOnClock === true && skipReason === undefined;
      tests.push({
        suite,
        rule,
        name: `[${rule}] ${title}`,
        timeoutMs,
        skipReason,
        waitsOnClock,
        run,
      });
    };
    const context: SuiteContext = {
      options,
      get backend(): BackendUnderTest {
        if (!backend) throw new Error("conformance: backend used before setup (beforeAll) ran");
        return backend;
      },
      // Read lazily: capabilities are known only after setup.
      get fencing(): boolean {
        return context.backend.capabilities.supportsFencing;
      },
      ms: (base) => Math.ceil(base * scale),
      watch,
      strays,
      lock: () => watchedLock(asLockBackend(context.backend), watch),
      lockOn: (other) => watchedLock(asLockBackend(other), watch),
      async peer() {
        const create = options.createPeerBackend;
        if (!create) {
          throw new Error(
            "conformance: this test needs options.createPeerBackend (another backend on the same store)",
          );
        }
        const peer = (await create()) as unknown as BackendUnderTest;
        peers.push(peer);
        watch.watchBackend(peer);
        return peer;
      },
      test: (rule, title, run, testOptions) => add(rule, title, run, testOptions),
      skip: (rule, title, reason) => add(rule, title, async () => {}, {}, reason),
    };
    SUITES[suite](context);
    return { name: suite, tests };
  });

  return {
    name: options.name,
    hookTimeoutMs: Math.ceil(60_000 * scale),
    suites,
    async setup() {
      if (backend) return;
      strays.start();
      // The cast is the one place the typed backend becomes the suite's loose view (see context.ts).
      backend = (await options.createBackend()) as unknown as BackendUnderTest;
      watch.watchBackend(backend);
      watch.watchConsole();
    },
    async teardown() {
      watch.stop();
      try {
        // Peers first: their background work (withdrawals) ends, then they close.
        const closing = peers.splice(0);
        const idle = { timeoutMs: Math.ceil(10_000 * scale) };
        await Promise.allSettled(closing.map((peer) => whenIdle(asLockBackend(peer), idle)));
        await Promise.allSettled(
          closing.map((peer) => (peer as { close?: () => unknown }).close?.()),
        );
        await options.teardown?.();
        // Work core still does in the background may now meet the client teardown closed: wait
        // for it here, inside the runner's afterAll, where an error it lets escape is reported.
        if (backend)
          await whenIdle(asLockBackend(backend), { timeoutMs: Math.ceil(10_000 * scale) });
      } finally {
        strays.stop();
      }
      const found = strays.findings();
      if (found.length > 0) {
        throw new Error(
          `conformance (${options.name}): ${found.length} unhandled rejection(s) / uncaught exception(s) during the run or after teardown:\n${found.join("\n")}`,
        );
      }
    },
  };
}

/** lock() with its events, logs, errors and the lockIds it hands to `fn` noted by the watch. */
function watchedLock(backend: ReturnType<typeof asLockBackend>, watch: LeakWatch): WatchedLock {
  return watch.watchLock(createLock(backend, watch.observers));
}
