/**
 * What `syncguard` exits with (ADR-026). Scripts branch on these; the README lists them.
 * 1 is a plain "no" (nothing held, nothing released), never a failure of the tool.
 */
export const EXIT_CODES = Object.freeze({
  /** Done: the key is held (inspect), the lock was released, the list or fence was read. */
  ok: 0,
  /** No live lock: inspect found the key free, release found nothing to release or was declined. */
  notHeld: 1,
  /** Bad usage: unknown command or option, bad key, limit or cursor, or --yes missing off a TTY. */
  usage: 2,
  /** The store could not be used: unreachable, timed out, refused the credentials, rate limited. */
  store: 3,
  /** The store's package or client library is not installed next to the CLI. */
  notInstalled: 4,
  /** Anything else (a bug, or data the store holds that SyncGuard cannot read). */
  internal: 5,
});

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** An error the CLI reports as one line on stderr and exits with `exitCode`. */
export class CliError extends Error {
  /** The LockError code the line starts with, when the store's error had one. */
  readonly label: string | undefined;

  constructor(
    readonly exitCode: ExitCode,
    message: string,
    options?: { cause?: unknown; label?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.label = options?.label;
  }
}
