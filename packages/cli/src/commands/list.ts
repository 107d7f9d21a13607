import type { PermitSummary } from "@syncguard/core";
import type { ExitCode } from "../exit-codes";
import { EXIT_CODES } from "../exit-codes";
import { duration, isoTime, printableKey, remainingMs, table } from "../format";
import { type CliIO, print, printJson } from "../io";
import type { Store } from "../stores";

/**
 * `list`: one page of live locks, then of live permits (with their holder ids); a cursor is
 * printed when more may follow.
 */
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
  const permits = page.permits ?? [];
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
      ...(page.permits ? { permits: permits.map((permit) => permitJson(permit, now)) } : {}),
      cursor: page.cursor ?? null,
    });
    return EXIT_CODES.ok;
  }
  if (page.locks.length === 0 && permits.length === 0) {
    print(io, page.cursor ? "No live locks in this page." : "No live locks.");
  }
  if (page.locks.length > 0) {
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
  if (permits.length > 0) {
    if (page.locks.length > 0) print(io, "");
    print(io, permitTable(permits, now, true));
  }
  if (page.cursor) print(io, `\nMore may follow: add --cursor ${page.cursor}`);
  return EXIT_CODES.ok;
}

/** A permit in JSON output: its holder id, never a lockId. */
export function permitJson(permit: PermitSummary, now: number) {
  return {
    key: permit.key,
    kind: "permit",
    holderId: permit.holderId,
    fence: permit.fence ?? null,
    permits: permit.permits,
    acquiredAt: permit.acquiredAtMs === undefined ? null : isoTime(permit.acquiredAtMs),
    acquiredAtMs: permit.acquiredAtMs ?? null,
    expiresAtMs: permit.expiresAtMs,
    expiresInMs: remainingMs(permit.expiresAtMs, now),
  };
}

/** Permits as a table (with their semaphore's key when they come from several). */
export function permitTable(
  permits: readonly PermitSummary[],
  now: number,
  withKey: boolean,
): string {
  return table([
    [...(withKey ? ["PERMIT OF", "PERMITS"] : []), "HOLDER", "FENCE", "ACQUIRED AT", "EXPIRES IN"],
    ...permits.map((permit) => [
      ...(withKey ? [printableKey(permit.key), String(permit.permits)] : []),
      permit.holderId,
      permit.fence ?? "-",
      permit.acquiredAtMs === undefined ? "-" : isoTime(permit.acquiredAtMs),
      duration(remainingMs(permit.expiresAtMs, now)),
    ]),
  ]);
}
