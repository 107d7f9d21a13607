import { format } from "node:util";

/**
 * Records unhandled rejections and uncaught exceptions while the suite runs. Under Node's default
 * either ends the process: a backend (or core on top of it) that lets one escape, typically from
 * work done after a call returned, would crash its users' services. Most runners report them
 * too (jest fails the test or hook that was running; vitest and node:test fail the run), but not
 * all, and not outside a test: the suite keeps its own record and fails on it.
 */
export class StrayErrors {
  private readonly found: string[] = [];
  private listening = false;

  private readonly onRejection = (reason: unknown): void => {
    this.found.push(`unhandledRejection: ${describe(reason)}`);
  };

  private readonly onException = (error: unknown): void => {
    this.found.push(`uncaughtException: ${describe(error)}`);
  };

  start(): void {
    if (this.listening) return;
    this.listening = true;
    process.on("unhandledRejection", this.onRejection);
    process.on("uncaughtException", this.onException);
  }

  stop(): void {
    if (!this.listening) return;
    this.listening = false;
    process.off("unhandledRejection", this.onRejection);
    process.off("uncaughtException", this.onException);
  }

  /** One line (with its stack) per error recorded so far. */
  findings(): readonly string[] {
    return [...this.found];
  }
}

function describe(error: unknown): string {
  // Duck-typed: an error may come from another realm (a test runner's sandbox).
  const stack = (error as { stack?: unknown } | null)?.stack;
  return typeof stack === "string" && stack !== "" ? stack : format("%o", error);
}
