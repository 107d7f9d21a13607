import type { TestApi } from "../src";

export interface RecordedOutcome {
  name: string;
  passed: boolean;
  skipped: boolean;
  error?: string;
}

type Hook = () => Promise<void> | void;

/**
 * A TestApi that records what the suite registers instead of handing it to jest, then runs it:
 * lets a test assert which conformance tests pass or fail on a given backend.
 */
export function recordingTestApi(): { api: TestApi; run: () => Promise<RecordedOutcome[]> } {
  const path: string[] = [];
  const tests: Array<{ name: string; fn: Hook; skipped: boolean }> = [];
  const before: Hook[] = [];
  const after: Hook[] = [];
  const api: TestApi = {
    describe: (name, fn) => {
      path.push(name);
      try {
        fn();
      } finally {
        path.pop();
      }
    },
    it: (name, fn) => {
      tests.push({ name: [...path, name].join(" > "), fn, skipped: false });
    },
    skip: (name, fn) => {
      tests.push({ name: [...path, name].join(" > "), fn, skipped: true });
    },
    beforeAll: (fn) => {
      before.push(fn);
    },
    afterAll: (fn) => {
      after.push(fn);
    },
  };
  const run = async (): Promise<RecordedOutcome[]> => {
    for (const hook of before) await hook();
    const outcomes: RecordedOutcome[] = [];
    try {
      // Concurrently: every test uses its own keys, and the broken backends make many tests
      // wait for their deadlines; sequential runs would take minutes.
      // The background and secrets checks read what every other test left behind or let out,
      // so they run after them (in registration order).
      const last = (test: { name: string }) => /\[(background|secrets)\./.test(test.name);
      const runOne = async (test: (typeof tests)[number]) => {
        if (test.skipped) {
          outcomes.push({ name: test.name, passed: true, skipped: true });
          return;
        }
        try {
          await test.fn();
          outcomes.push({ name: test.name, passed: true, skipped: false });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          outcomes.push({ name: test.name, passed: false, skipped: false, error: message });
        }
      };
      await Promise.all(tests.filter((test) => !last(test)).map(runOne));
      for (const test of tests.filter(last)) await runOne(test);
    } finally {
      for (const hook of after) await hook();
    }
    return outcomes.sort((a, b) => a.name.localeCompare(b.name));
  };
  return { api, run };
}
