import type { ExitCode } from "../exit-codes";
import { EXIT_CODES } from "../exit-codes";
import { table } from "../format";
import { type CliIO, print, printJson } from "../io";
import type { Store } from "../stores";

/**
 * `migrate-2x`: carries syncguard 2.x fence counters over through the store's own migration
 * (its operator's `migrateFrom2x`). Not bounded by --timeout-ms: a large keyspace takes a while,
 * and each request of it is bounded by the client. Prints the report; the store's own report
 * object with --json.
 */
export async function migrate2x(
  store: Store,
  io: CliIO,
  options: { dryRun: boolean; json: boolean },
): Promise<ExitCode> {
  if (!store.migrateFrom2x) {
    // Refused before connecting (see main); kept for an operator that offers none.
    io.stderr.write(`syncguard: ${store.name} has no 2.x migration\n`);
    return EXIT_CODES.usage;
  }
  const result = await store.migrateFrom2x({ dryRun: options.dryRun });
  if (options.json) {
    printJson(io, result.report);
    return EXIT_CODES.ok;
  }
  print(io, result.dryRun ? "Dry run: nothing was written." : "Migration done.");
  print(io, table(result.counts.map(([label, value]) => [`  ${label}:`, value])));
  for (const note of result.notes) print(io, note);
  return EXIT_CODES.ok;
}
