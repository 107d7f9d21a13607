import { LockError } from "@syncguard/core";
import {
  clientNotInstalled,
  type OperatorFlag,
  type OperatorInput,
  type OperatorPlan,
} from "@syncguard/core/operator";
import { FIRESTORE_DEFAULTS, resolveConfig } from "../config";
import { OLD_FENCE_COLLECTION } from "../migrate/layout-2x";
import type { FirestoreMigrationOptions } from "../migrate/options";
import { resolveMigrationNames } from "../migrate/options";
import { installed } from "./peer";
import { openSession } from "./session";

/** The flags of every command. */
export const FLAGS: readonly OperatorFlag[] = [
  {
    name: "project",
    type: "string",
    value: "ID",
    description: "Firestore project id (FIRESTORE_EMULATOR_HOST is honoured).",
  },
  {
    name: "database",
    type: "string",
    value: "ID",
    description: 'Firestore database id (default "(default)").',
  },
  {
    name: "collection",
    type: "string",
    value: "C",
    description: `The backend's collection (default "${FIRESTORE_DEFAULTS.collection}").`,
  },
  {
    name: "fence-collection",
    type: "string",
    value: "C",
    description: `The backend's fenceCollection (default "${FIRESTORE_DEFAULTS.fenceCollection}").`,
  },
];

/** The extra flags of `migrate-2x`. */
export const MIGRATION_FLAGS: readonly OperatorFlag[] = [
  {
    name: "old-fence-collection",
    type: "string",
    value: "C",
    description: `The fenceCollection syncguard 2.x used (default "${OLD_FENCE_COLLECTION}").`,
  },
  {
    name: "skip-subcollections",
    type: "boolean",
    description: 'Do not search for 2.x keys containing "/" (one request less per counter).',
  },
];

/** What `open` needs, validated. */
export interface FirestoreSettings {
  readonly projectId?: string;
  readonly databaseId?: string;
  readonly collection?: string;
  readonly fenceCollection?: string;
  readonly migration: FirestoreMigrationOptions;
  readonly timeoutMs: number;
  readonly logger: OperatorInput["logger"];
}

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;

/**
 * Reads the flags before any I/O; see `StoreOperator.configure`. Firestore's credentials come
 * from the environment (files, metadata server), never from a flag: no secret to report.
 */
export function configure(input: OperatorInput): OperatorPlan {
  const { flags } = input;
  if (!installed("@google-cloud/firestore")) {
    throw clientNotInstalled("@google-cloud/firestore is not installed; Firestore needs it", [
      "@google-cloud/firestore",
    ]);
  }
  const projectId = text(flags.project);
  if (projectId === "") throw new LockError("InvalidArgument", "--project must not be empty");
  const databaseId = text(flags.database);
  const collection = text(flags.collection);
  const fenceCollection = text(flags["fence-collection"]);
  // Exactly the backend's own checks, and the migration's (which add the 2.x collection's).
  resolveConfig({
    ...(collection !== undefined ? { collection } : {}),
    ...(fenceCollection !== undefined ? { fenceCollection } : {}),
  });
  const oldFenceCollection = text(flags["old-fence-collection"]);
  const migration: FirestoreMigrationOptions = {
    ...(oldFenceCollection !== undefined ? { oldFenceCollection } : {}),
    ...(collection !== undefined ? { collection } : {}),
    ...(fenceCollection !== undefined ? { fenceCollection } : {}),
    subcollections: flags["skip-subcollections"] !== true,
  };
  resolveMigrationNames(migration);
  const settings: FirestoreSettings = {
    ...(projectId !== undefined ? { projectId } : {}),
    ...(databaseId !== undefined ? { databaseId } : {}),
    ...(collection !== undefined ? { collection } : {}),
    ...(fenceCollection !== undefined ? { fenceCollection } : {}),
    migration,
    timeoutMs: input.timeoutMs,
    logger: input.logger,
  };
  const emulator = process.env.FIRESTORE_EMULATOR_HOST; // what the Firestore client reads
  return {
    secrets: [],
    target: `project ${projectId ?? "(from the environment)"}${databaseId ? `, database ${databaseId}` : ""}${emulator ? ` on the emulator at ${emulator}` : ""}`,
    open: () => openSession(settings),
  };
}
