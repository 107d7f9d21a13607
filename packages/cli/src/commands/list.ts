import type { ExitCode } from "../exit-codes";
import { EXIT_CODES } from "../exit-codes";
import { duration, isoTime, printableKey, remainingMs, table } from "../format";
import { type CliIO, print, printJson } from "../io";
import type { Store } from "../stores";

/** `list`: one page of live locks; a cursor is printed when more may follow. */
export async function list(
  store: Store,
  io: CliIO,
  options: { prefix?: string; limit?: number; cursor?: string },
  json: boolean,
): Promise<ExitCode> {
  const page = await store.call((signal) =>
    store.core.listLocks(store.backend, { ...options, signal }),
  );
  const now = (io.now ?? Date.now)();
  if (json) {
    printJson(io, {
      locks: page.locks.map((lock) => ({
        key: lock.key,
        fence: lock.fence ?? null,
        acquiredAt: isoTime(lock.acquiredAtMs),
        acquiredAtMs: lock.acquiredAtMs,
        expiresAtMs: lock.expiresAtMs,
        expiresInMs: remainingMs(lock.expiresAtMs, now),
      })),
      cursor: page.cursor ?? null,
    });
    return EXIT_CODES.ok;
  }
  if (page.locks.length === 0) {
    print(io, page.cursor ? "No live locks in this page." : "No live locks.");
  } else {
    print(
      io,
      table([
        ["KEY", "FENCE", "ACQUIRED AT", "EXPIRES IN"],
        ...page.locks.map((lock) => [
          printableKey(lock.key),
          lock.fence ?? "-",
          isoTime(lock.acquiredAtMs),
          duration(remainingMs(lock.expiresAtMs, now)),
        ]),
      ]),
    );
  }
  if (page.cursor) print(io, `\nMore may follow: add --cursor ${page.cursor}`);
  return EXIT_CODES.ok;
}
