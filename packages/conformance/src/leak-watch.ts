import { format } from "node:util";
import type { BackendCapabilities, LockContext, LockFunction, Logger } from "@syncguard/core";
import type { LogFields } from "@syncguard/core/driver";

/** Where a watched text came from, for the failure message. */
export type LeakSource = "error" | "console" | "event" | "log";

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;

/**
 * Watches what a conformance run lets out of the backend — error messages (with their causes),
 * console lines, log lines and lock events — and, at the end, finds any lockId the run saw issued or any
 * secret the caller named (a password in a connection string) in them. A lockId is a bearer
 * secret: whoever reads one can release or extend that lock.
 */
export class LeakWatch {
  private readonly lockIds = new Set<string>();
  private readonly texts: Array<{ source: LeakSource; text: string }> = [];
  private readonly secrets: Set<string>;
  private restoreConsole: (() => void) | undefined;

  constructor(secrets: readonly string[] = []) {
    this.secrets = new Set(secrets.filter((secret) => secret.length > 0));
  }

  /** Adds a string that must never show (a password known only once a server is up). */
  noteSecret(secret: string): void {
    if (secret.length > 0) this.secrets.add(secret);
  }

  noteLockId(lockId: unknown): void {
    if (typeof lockId === "string" && lockId.length > 0) this.lockIds.add(lockId);
  }

  /** Records everything an error shows when logged: its message, code, details and causes. */
  noteError(error: unknown): void {
    const seen = new Set<unknown>();
    let current: unknown = error;
    while (current !== undefined && current !== null && !seen.has(current)) {
      seen.add(current);
      this.texts.push({ source: "error", text: describe(current) });
      current = (current as { cause?: unknown }).cause;
    }
  }

  /** Events go to user code (metrics, logs): they are watched as they would be serialized. */
  readonly noteEvent = (event: unknown): void => {
    this.texts.push({ source: "event", text: safeJson(event) });
  };

  /** A logger for the locks under test: records each line, with its fields, as it is logged. */
  readonly logger: Logger = {
    warn: (message: string, fields?: LogFields) => this.noteLog(message, fields),
    error: (message: string, fields?: LogFields) => this.noteLog(message, fields),
    info: (message: string, fields?: LogFields) => this.noteLog(message, fields),
    debug: (message: string, fields?: LogFields) => this.noteLog(message, fields),
  };

  /** `{ onEvent, logger }` for core calls that take observers, such as `forceRelease`. */
  get observers(): { onEvent: (event: unknown) => void; logger: Logger } {
    return { onEvent: this.noteEvent, logger: this.logger };
  }

  private noteLog(message: string, fields?: LogFields): void {
    this.texts.push({ source: "log", text: `${message} ${safeJson(fields ?? {})}` });
    if (fields?.error !== undefined) this.noteError(fields.error);
  }

  /** Records console output until `stop()`, still passing it through. */
  watchConsole(): void {
    if (this.restoreConsole) return;
    const originals = CONSOLE_METHODS.map((name) => [name, console[name]] as const);
    for (const [name, original] of originals) {
      console[name] = (...args: unknown[]) => {
        this.texts.push({ source: "console", text: format(...args) });
        original.apply(console, args);
      };
    }
    this.restoreConsole = () => {
      for (const [name, original] of originals) console[name] = original;
    };
  }

  /**
   * Wraps the backend's public operations in place (the object keeps its identity, which core's
   * engine relies on): every lockId they return is noted, every error they throw recorded.
   */
  watchBackend(backend: object): void {
    const target = backend as Record<string, unknown>;
    for (const name of ["acquire", "release", "extend", "isLocked", "lookup", "subscribe"]) {
      const original = target[name];
      if (typeof original !== "function") continue;
      const wrapped = async (...args: unknown[]) => {
        try {
          const result = await original.apply(backend, args);
          if (result && typeof result === "object")
            this.noteLockId((result as { lockId?: unknown }).lockId);
          return result;
        } catch (error) {
          this.noteError(error);
          throw error;
        }
      };
      try {
        target[name] = wrapped;
      } catch {
        // A frozen backend: its own errors are then watched only where the suite catches them.
      }
    }
  }

  /**
   * The same lock function, with the lockIds it hands to `fn` noted and the errors it rejects
   * with recorded. Build it with `createLock(backend, watch.observers)` so events and logs count.
   */
  watchLock<C extends BackendCapabilities>(lock: LockFunction<C>): LockFunction<C> {
    const seeing =
      <T>(fn: (context: LockContext<C>) => T | Promise<T>) =>
      (context: LockContext<C>) => {
        this.noteLockId(context.lockId);
        return fn(context);
      };
    const recording = async <R>(run: () => Promise<R>): Promise<R> => {
      try {
        return await run();
      } catch (error) {
        this.noteError(error);
        throw error;
      }
    };
    const watched = <T>(
      fn: (context: LockContext<C>) => T | Promise<T>,
      options: Parameters<LockFunction<C>>[1],
    ) => recording(() => lock(seeing(fn), options));
    return Object.assign(watched, {
      ifFree: <T>(
        fn: (context: LockContext<C>) => T | Promise<T>,
        options: Parameters<LockFunction<C>>[1],
      ) => recording(() => lock.ifFree(seeing(fn), options)),
      close: () => lock.close(),
      [Symbol.asyncDispose]: () => lock.close(),
    }) as LockFunction<C>;
  }

  stop(): void {
    this.restoreConsole?.();
    this.restoreConsole = undefined;
  }

  /** One line per leak; a lockId is shown by its first 6 characters only. */
  findings(): string[] {
    const found: string[] = [];
    for (const { source, text } of this.texts) {
      for (const lockId of this.lockIds) {
        if (text.includes(lockId)) {
          found.push(`a lockId (${lockId.slice(0, 6)}…) in ${source}: ${clip(text, lockId)}`);
        }
      }
      for (const secret of this.secrets) {
        if (text.includes(secret)) {
          found.push(`a secret in ${source}: ${clip(text, secret)}`);
        }
      }
    }
    return found;
  }

  /** How much was watched, so a check that saw nothing cannot pass unnoticed. */
  counts(): { lockIds: number; texts: number } {
    return { lockIds: this.lockIds.size, texts: this.texts.length };
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return safeJson(error);
  const fields = error as Error & { code?: unknown; key?: unknown; details?: unknown };
  return [
    `${error.name}: ${error.message}`,
    fields.code === undefined ? "" : `code=${String(fields.code)}`,
    fields.details === undefined ? "" : `details=${safeJson(fields.details)}`,
  ].join(" ");
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The text around a leak with the leaked value masked, so the report does not leak it again. */
function clip(text: string, leaked: string): string {
  const at = text.indexOf(leaked);
  const around = text.slice(Math.max(0, at - 60), at + leaked.length + 60);
  return JSON.stringify(around.split(leaked).join("<hidden>"));
}
