import { createInterface } from "node:readline";
import type { ExitCode } from "../exit-codes";
import { CliError, EXIT_CODES } from "../exit-codes";
import { duration, printableKey, remainingMs } from "../format";
import { type CliIO, print, printJson } from "../io";
import type { Store } from "../stores";

/**
 * `release --force <key>`: deletes the key's live lock whoever holds it, through core's
 * `forceRelease` (fence counters untouched: the next holder gets a higher fence). Asks first
 * unless `--yes`. Exit 1 when there was no live lock or the operator said no.
 */
export async function release(
  store: Store,
  io: CliIO,
  key: string,
  options: { yes: boolean; json: boolean },
): Promise<ExitCode> {
  const info = await store.call((signal) => store.core.getByKey(store.backend, key, { signal }));
  if (!info) return report(io, key, options.json, undefined);
  if (!options.yes) {
    const left = duration(remainingMs(info.expiresAtMs, (io.now ?? Date.now)()));
    io.stderr.write(
      `Force-release the lock on ${printableKey(info.key)} (fence ${info.fence ?? "-"}, expires in ${left})?\n` +
        "Its holder may still be working; it learns of it at its next extend. [y/N] ",
    );
    const answer = (await readLine(io.stdin)).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") {
      io.stderr.write("Not released.\n");
      return EXIT_CODES.notHeld;
    }
    // The answer may come much later: release only the lock the operator was shown.
    const now = await store.call((signal) => store.core.getByKey(store.backend, key, { signal }));
    if (!now) return report(io, key, options.json, undefined);
    if (now.fence !== info.fence || now.lockIdHash !== info.lockIdHash) {
      io.stderr.write(
        `The lock on ${printableKey(key)} changed hands while you were asked (fence ${info.fence ?? "-"} -> ${now.fence ?? "-"}): not released. Run the command again to see the new holder.\n`,
      );
      return EXIT_CODES.notHeld;
    }
  }
  // The command reports the release itself; core's own log line would only repeat it.
  const forced = await store.call((signal) =>
    store.core.forceRelease(store.backend, key, { signal, logger: SILENT }),
  );
  return report(io, key, options.json, forced.released ? (forced.fence ?? "-") : undefined);
}

export const SILENT = { warn() {}, error() {} };

/** Says what happened; `fence` is the evicted lock's, undefined when nothing was released. */
function report(io: CliIO, key: string, json: boolean, fence: string | undefined): ExitCode {
  if (json) {
    printJson(io, {
      key,
      released: fence !== undefined,
      fence: fence === "-" ? null : (fence ?? null),
    });
  } else if (fence !== undefined) {
    print(
      io,
      `Released the lock on ${printableKey(key)} (fence ${fence}). Its fence counter is unchanged.`,
    );
  } else {
    print(io, `No live lock on ${printableKey(key)}: nothing released.`);
  }
  return fence !== undefined ? EXIT_CODES.ok : EXIT_CODES.notHeld;
}

/** One line of input ("" at end of input). */
export function readLine(input: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    const lines = createInterface({ input, terminal: false });
    let answered = false;
    lines.once("line", (line) => {
      answered = true;
      lines.close();
      resolve(line);
    });
    lines.once("close", () => {
      if (!answered) resolve("");
    });
  });
}

/** Refuses before any I/O when nobody can confirm: not a terminal and no --yes. */
export function checkConfirmable(io: CliIO, yes: boolean): void {
  if (!yes && io.stdin.isTTY !== true) {
    throw new CliError(
      EXIT_CODES.usage,
      "release --force asks for confirmation, but stdin is not a terminal: pass --yes to release without asking",
    );
  }
}
