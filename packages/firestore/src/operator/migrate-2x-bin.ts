#!/usr/bin/env node
// syncguard-firestore-migrate-2x: deprecated alias of `syncguard migrate-2x --project ...`
// (@syncguard/cli), kept for one minor release. Same migration, through this package's operator.
// Exit codes: 0 done, 1 the migration failed, 2 bad usage (see MIGRATING.md).
import { runMigrationCommand } from "@syncguard/core/operator";
import { operator } from "./index";

const NAME = "syncguard-firestore-migrate-2x";
const USAGE = `Usage: ${NAME} [--project ID] [options]

Deprecated: use \`syncguard migrate-2x --project ID\` (npm install -g @syncguard/cli), which
takes the same options. This command goes away in the next minor release.

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

runMigrationCommand(
  operator,
  { name: NAME, usage: USAGE, argv: process.argv.slice(2) },
  { env: process.env, stdout: process.stdout, stderr: process.stderr },
).then((code) => {
  process.exitCode = code;
});
