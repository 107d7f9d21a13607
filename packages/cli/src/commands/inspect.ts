import type { ExitCode } from "../exit-codes";
import { EXIT_CODES } from "../exit-codes";
import { duration, isoTime, printableKey, remainingMs, table } from "../format";
import { type CliIO, print, printJson } from "../io";
import type { Store } from "../stores";

/** `inspect <key>`: whether the key is held, and its fence and times. Exit 1 when it is free. */
export async function inspect(
  store: Store,
  io: CliIO,
  key: string,
  json: boolean,
): Promise<ExitCode> {
  const info = await store.call((signal) => store.core.getByKey(store.backend, key, { signal }));
  const now = (io.now ?? Date.now)();
  if (json) {
    printJson(
      io,
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
  } else {
    print(
      io,
      table([
        ["key", printableKey(key)],
        ["held", "no"],
      ]),
    );
  }
  return info ? EXIT_CODES.ok : EXIT_CODES.notHeld;
}
