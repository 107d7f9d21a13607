import type { ExitCode } from "../exit-codes";
import { EXIT_CODES } from "../exit-codes";
import { printableKey, table } from "../format";
import { type CliIO, print, printJson } from "../io";
import type { Store } from "../stores";

/** `fence <key>`: the key's fence counter, read without changing it ("none" if never locked). */
export async function fence(
  store: Store,
  io: CliIO,
  key: string,
  json: boolean,
): Promise<ExitCode> {
  const reading = await store.call((signal) =>
    store.core.readFence(store.backend, key, { signal }),
  );
  if (json) {
    printJson(io, { key, fence: reading.fence, shared: reading.shared });
    return EXIT_CODES.ok;
  }
  const rows = [
    ["key", printableKey(key)],
    ["fence", reading.fence ?? "none (no fence issued yet)"],
  ];
  if (reading.shared) {
    rows.push(["counter", "shared with other keys: the key's own last fence is at most this"]);
  }
  rows.push(["next", "the key's next holder gets a higher fence"]);
  print(io, table(rows));
  return EXIT_CODES.ok;
}
