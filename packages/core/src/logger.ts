import { LockError } from "./errors";

/** Structured detail attached to a log line: plain values, never a lockId. */
export type LogFields = Record<string, unknown>;

/**
 * Where SyncGuard's library code writes its warnings and errors. `console` fits as is, and so
 * does a winston logger (both take the message first). pino takes the fields first; pass
 * `{ warn: (m, f) => log.warn(f, m), error: (m, f) => log.error(f, m) }` (see the README).
 */
export interface Logger {
  /** Something went wrong that SyncGuard handled (a fence near its limit, a forced release). */
  warn(message: string, fields?: LogFields): void;
  /** Something failed that the caller did not see as an error (a release after the work). */
  error(message: string, fields?: LogFields): void;
  /** Not called by SyncGuard today; accepted so common loggers fit. */
  info?(message: string, fields?: LogFields): void;
  /** Not called by SyncGuard today; accepted so common loggers fit. */
  debug?(message: string, fields?: LogFields): void;
}

/**
 * The default: the process console, looked up at each call (so a console replaced later is used).
 * Messages are complete sentences, so it prints the message alone, plus the error for errors (its
 * stack helps); the fields are for loggers that index them.
 */
export const consoleLogger: Logger = {
  warn: (message) => console.warn(message),
  error: (message, fields) =>
    fields?.error === undefined ? console.error(message) : console.error(message, fields.error),
};

/** Validates a `logger` option: undefined, or an object with warn and error functions. */
export function validateLogger(value: unknown, name = "logger"): Logger | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== "object" ||
    value === null ||
    typeof (value as Logger).warn !== "function" ||
    typeof (value as Logger).error !== "function"
  ) {
    throw new LockError("InvalidArgument", `${name} must be an object with warn and error methods`);
  }
  return value as Logger;
}

/** Writes one line; a logger that throws never changes the outcome of a lock operation. */
export function writeLog(
  logger: Logger | undefined,
  level: "warn" | "error" | "info" | "debug",
  message: string,
  fields?: LogFields,
): void {
  const target = logger ?? consoleLogger;
  try {
    const write = target[level];
    if (typeof write !== "function") return;
    // Only a real fields object is passed: `console.warn(message, undefined)` prints "undefined".
    if (fields === undefined) write.call(target, message);
    else write.call(target, message, fields);
  } catch {
    // Logging is best effort.
  }
}
