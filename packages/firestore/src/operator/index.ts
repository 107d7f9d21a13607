/**
 * `@syncguard/firestore/operator`: how an operator tool (the `syncguard` CLI) reaches Firestore.
 * It owns the Firestore flags (--project, --database, --collection, --fence-collection, and
 * --old-fence-collection, --skip-subcollections for migrate-2x), creates the client from the
 * installed @google-cloud/firestore, and builds the backend.
 */
import type { StoreOperator } from "@syncguard/core/operator";
import { configure, FLAGS, MIGRATION_FLAGS } from "./settings";

export const operator: StoreOperator = {
  store: "Firestore",
  flags: FLAGS,
  migrationFlags: MIGRATION_FLAGS,
  configure,
};
