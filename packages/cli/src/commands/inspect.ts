import type { SemaphoreInfo } from "@syncguard/core";
import type { ExitCode } from "../exit-codes";
import { EXIT_CODES } from "../exit-codes";
import { duration, isoTime, printableKey, remainingMs, table } from "../format";
import { type CliIO, print, printJson } from "../io";
import type { Store } from "../stores";
import { permitJson, permitTable } from "./list";

/**
 * `inspect <key>`: whether the key is held, and its fence and times; and the holders of the
 * semaphore <key> when permits of it are live. Exit 1 when neither is held.
 */
export async function inspect(
  store: Store,
  io: CliIO,
  key: string,
  json: boolean,
): Promise<ExitCode> {
  const info = await store.call((signal) => store.core.getByKey(store.backend, key, { signal }));
  // The semaphore of the same key (a namespace of its own), where the store's core has them.
  const { getSemaphore } = store.core;
  const semaphore = getSemaphore
    ? await store.call((signal) => getSemaphore(store.backend, key, { signal }))
    : null;
  const now = (io.now ?? Date.now)();
  if (json) {
    printJson(
      io,
      withSemaphore(
        info
          ? {
              key: info.key,
              held: true,
              fence: info.fence ?? null,
              acquiredAt: isoTime(info.acquiredAtMs),
              acquiredAtMs: info.acquiredAtMs,
              expiresAtMs: info.expiresAtMs,
              expiresInMs: remainingMs(info.expiresAtMs, now),
              lockIdHash: info.lockIdHash,
            }
          : { key, held: false },
        semaphore,
        now,
      ),
    );
  } else if (info) {
    print(
      io,
      table([
        ["key", printableKey(info.key)],
        ["held", "yes"],
        ["fence", info.fence ?? "-"],
        ["acquired at", isoTime(info.acquiredAtMs)],
        ["expires in", duration(remainingMs(info.expiresAtMs, now))],
        ["holder", `lockId hash ${info.lockIdHash}`],
      ]),
    );
  } else if (!semaphore) {
    print(
      io,
      table([
        ["key", printableKey(key)],
        ["held", "no"],
      ]),
    );
  }
  if (semaphore && !json) {
    if (info) print(io, "");
    print(
      io,
      table([
        ["semaphore", printableKey(semaphore.key)],
        ["permits", `${semaphore.holders.length} of ${semaphore.permits} held`],
      ]),
    );
    print(io, permitTable(semaphore.holders, now, false));
  }
  return info || semaphore ? EXIT_CODES.ok : EXIT_CODES.notHeld;
}

/** The JSON of inspect: the lock's, with the semaphore of the key when permits of it are live. */
function withSemaphore(lock: object, semaphore: SemaphoreInfo | null, now: number): object {
  if (!semaphore) return lock;
  return {
    ...lock,
    semaphore: {
      permits: semaphore.permits,
      holders: semaphore.holders.map((permit) => permitJson(permit, now)),
    },
  };
}
