import { LeakWatch } from "@syncguard/conformance";

let watch: LeakWatch | undefined;

/**
 * This test file's watch (jest runs each file in its own module registry): every backend
 * `connect()` builds and every lock function it hands out report their lockIds, errors, log
 * lines and events to it, and the console is watched from the first call on.
 */
export function fileWatch(): LeakWatch {
  if (!watch) {
    watch = new LeakWatch();
    watch.watchConsole();
  }
  return watch;
}

/**
 * Registers, last in a scenario file, the check that nothing its faults made the library say —
 * errors, warnings, log lines, events — holds a lockId (a bearer secret) the file saw issued.
 */
export function sweepLeaks(): void {
  it("no error, log line, console line or event of this file holds a lockId", () => {
    const current = fileWatch();
    current.stop();
    expect(current.counts().lockIds).toBeGreaterThan(0);
    expect(current.findings()).toEqual([]);
  });
}
