#!/usr/bin/env node
// syncguard-firestore-migrate-2x: parse arguments, run migrateFrom2x, print its report.
// Exit codes: 0 done, 1 the migration failed, 2 bad usage (see MIGRATING.md).
import { parseArgs } from "node:util";
import { Firestore } from "@google-cloud/firestore";
import { isLockError } from "@syncguard/core";
import { type FirestoreMigrationReport, migrateFrom2x } from "./migrate";
import { type FirestoreMigrationOptions, resolveMigrationOptions } from "./options";

const USAGE = `Usage: syncguard-firestore-migrate-2x [--project ID] [options]

Carries syncguard 2.x fence counters over to @syncguard/firestore, so fences keep increasing.
Stop (or drain) every syncguard 2.x process first. 2.x documents are left in place.
Credentials and project come from the environment as for any Firestore client
(GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_CLOUD_PROJECT); FIRESTORE_EMULATOR_HOST targets an emulator.

Options:
  --project ID                Google Cloud project id.
  --database ID               Firestore database id (default "(default)").
  --old-fence-collection C    fenceCollection of syncguard 2.x (default "fence_counters").
  --collection C              collection of @syncguard/firestore (default "locks").
  --fence-collection C        fenceCollection of @syncguard/firestore (default "fence_counters").
  --skip-subcollections       Do not search for 2.x keys containing "/" (one request less per counter).
  --dry-run                   Report what would change; write nothing.
  --json                      Print the report as JSON.
  -h, --help                  Show this help.

Exit codes: 0 done, 1 migration failed, 2 bad usage.`;
const HINT = "Run syncguard-firestore-migrate-2x --help for usage.";

function parse() {
  return parseArgs({
    options: {
      project: { type: "string" },
      database: { type: "string" },
      "old-fence-collection": { type: "string" },
      collection: { type: "string" },
      "fence-collection": { type: "string" },
      "skip-subcollections": { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: false,
  }).values;
}

function format(report: FirestoreMigrationReport): string {
  const raised = report.dryRun ? "fence documents to raise:" : "fence documents raised:  ";
  return [
    report.dryRun ? "Dry run: nothing was written." : "Migration done.",
    `  documents scanned:        ${report.documentsScanned}`,
    `  2.x counters found:       ${report.countersFound}`,
    `  skipped (no counter):     ${report.skipped}`,
    `  fence documents checked:  ${report.fenceDocuments}`,
    `  ${raised} ${report.countersRaised}`,
    `  highest 2.x fence:        ${report.highestFence ?? "none"}`,
    ...skippedLines(report),
  ].join("\n");
}

/** The documents skipped and the counters not carried over, each with why. */
function skippedLines(report: FirestoreMigrationReport): string[] {
  const lines: string[] = [];
  if (report.skipped > 0) {
    const more = report.skipped - report.skippedDocuments.length;
    lines.push(
      "Skipped (not 2.x counters, left alone):",
      ...report.skippedDocuments.map(({ path, type }) => `  ${JSON.stringify(path)} (${type})`),
      ...(more > 0 ? [`  ... and ${more} more`] : []),
    );
  }
  if (report.unraised.length > 0) {
    lines.push(
      "Not carried over (the key's new fence document holds no counter; fix or remove it, then run again):",
      ...report.unraised.map(
        ({ key, path, fence }) => `  key ${JSON.stringify(key)}: ${path} (2.x fence ${fence})`,
      ),
    );
  }
  return lines;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (error) {
    console.error(`${(error as Error).message}\n${HINT}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const db = new Firestore({
    ...(args.project !== undefined ? { projectId: args.project } : {}),
    ...(args.database !== undefined ? { databaseId: args.database } : {}),
  });
  const options: FirestoreMigrationOptions = {
    ...(args["old-fence-collection"] !== undefined
      ? { oldFenceCollection: args["old-fence-collection"] }
      : {}),
    ...(args.collection !== undefined ? { collection: args.collection } : {}),
    ...(args["fence-collection"] !== undefined
      ? { fenceCollection: args["fence-collection"] }
      : {}),
    subcollections: !args["skip-subcollections"],
    dryRun: args["dry-run"],
  };
  try {
    resolveMigrationOptions(db, options); // bad names are usage errors, found before any request
  } catch (error) {
    console.error(`${(error as Error).message}\n${HINT}`);
    await db.terminate();
    return 2;
  }
  try {
    const report = await migrateFrom2x(db, options);
    console.log(args.json ? JSON.stringify(report) : format(report));
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`Migration failed: ${isLockError(error) ? `[${error.code}] ` : ""}${message}`);
    return 1;
  } finally {
    await db.terminate();
  }
}

main().then((code) => {
  process.exitCode = code;
});
