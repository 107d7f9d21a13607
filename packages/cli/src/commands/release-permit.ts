import type { PermitSummary } from "@syncguard/core";
import type { PermitChoice } from "../args";
import type { ExitCode } from "../exit-codes";
import { EXIT_CODES } from "../exit-codes";
import { duration, printableKey, remainingMs } from "../format";
import { type CliIO, print, printJson } from "../io";
import type { Store } from "../stores";
import { readLine, SILENT } from "./release";
import { semaphoreCore } from "./semaphore-core";

/**
 * `release --force <key> --permit <fence|holder id>`: deletes ONE live permit of the semaphore
 * <key>, whoever holds it, through core's `forceReleasePermit` (the other permits and the fence
 * counter untouched). Asks first unless `--yes`. Exit 1 when no live permit matches or the
 * operator said no.
 */
export async function releasePermit(
  store: Store,
  io: CliIO,
  key: string,
  choice: PermitChoice,
  options: { yes: boolean; json: boolean },
): Promise<ExitCode> {
  const core = semaphoreCore(store);
  const find = async () => {
    const semaphore = await store.call((signal) =>
      core.getSemaphore(store.backend, key, { signal }),
    );
    return semaphore?.holders.find((holder) => matches(holder, choice));
  };
  const permit = await find();
  if (!permit) return report(io, key, choice, options.json, undefined);
  if (!options.yes) {
    const left = duration(remainingMs(permit.expiresAtMs, (io.now ?? Date.now)()));
    io.stderr.write(
      `Force-release the permit of semaphore ${printableKey(permit.key)} held by ${permit.holderId} (fence ${permit.fence ?? "-"}, expires in ${left})?\n` +
        "Its holder may still be working; it learns of it at its next extend. [y/N] ",
    );
    const answer = (await readLine(io.stdin)).trim().toLowerCase();
    if (answer !== "y" && answer !== "yes") {
      io.stderr.write("Not released.\n");
      return EXIT_CODES.notHeld;
    }
  }
  // By holder id: the permit the operator was shown, or nothing (a holder id is never reused).
  const forced = await store.call((signal) =>
    core.forceReleasePermit(store.backend, key, {
      holderId: permit.holderId,
      signal,
      logger: SILENT,
    }),
  );
  return report(io, key, choice, options.json, forced.released ? permit : undefined);
}

const matches = (holder: PermitSummary, choice: PermitChoice): boolean =>
  "fence" in choice ? holder.fence === choice.fence : holder.holderId === choice.holderId;

/** Says what happened; `permit` is the evicted one, undefined when nothing was released. */
function report(
  io: CliIO,
  key: string,
  choice: PermitChoice,
  json: boolean,
  permit: PermitSummary | undefined,
): ExitCode {
  const named = "fence" in choice ? `fence ${choice.fence}` : `holder ${choice.holderId}`;
  if (json) {
    printJson(io, {
      key,
      permit: true,
      released: permit !== undefined,
      fence: permit?.fence ?? null,
      holderId: permit?.holderId ?? null,
    });
  } else if (permit) {
    print(
      io,
      `Released the permit of semaphore ${printableKey(key)} held by ${permit.holderId} (fence ${permit.fence ?? "-"}). The other permits and the fence counter are unchanged.`,
    );
  } else {
    print(io, `No live permit of semaphore ${printableKey(key)} with ${named}: nothing released.`);
  }
  return permit ? EXIT_CODES.ok : EXIT_CODES.notHeld;
}
