import type { Firestore } from "@google-cloud/firestore";
import { LockError } from "@syncguard/core";
import { resolveConfig, validateCollectionId } from "../config";
import { OLD_FENCE_COLLECTION } from "./layout-2x";

/** Options of `migrateFrom2x` (Firestore). */
export interface FirestoreMigrationOptions {
  /** The `fenceCollection` syncguard 2.x used. Default "fence_counters". */
  oldFenceCollection?: string;
  /** The new backend's `collection` (lock documents), checked as the backend checks it. Default "locks". */
  collection?: string;
  /** The new backend's `fenceCollection`. Default "fence_counters" (the same collection as 2.x's is fine). */
  fenceCollection?: string;
  /**
   * Also search below the 2.x counters for sub-collections, where 2.x kept keys containing "/".
   * Costs one request per counter document. Default true.
   */
  subcollections?: boolean;
  /** Read and report what would change, write nothing. Default false. */
  dryRun?: boolean;
}

export interface ResolvedMigrationOptions {
  readonly oldFenceCollection: string;
  readonly fenceCollection: string;
  readonly subcollections: boolean;
  readonly dryRun: boolean;
}

const invalid = (message: string) => new LockError("InvalidArgument", message);

function optionalBoolean(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw invalid(`${name} must be a boolean`);
  return value;
}

/** Applies defaults and validates, before any I/O. */
export function resolveMigrationOptions(
  db: Firestore,
  options: FirestoreMigrationOptions | undefined,
): ResolvedMigrationOptions {
  if (typeof db !== "object" || db === null || typeof db.collection !== "function") {
    throw invalid("migrateFrom2x needs a Firestore instance");
  }
  return resolveMigrationNames(options);
}

/** The options' checks that need no Firestore instance (the operator runs them before any). */
export function resolveMigrationNames(
  options: FirestoreMigrationOptions | undefined,
): ResolvedMigrationOptions {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw invalid("migrateFrom2x options must be an object");
  }
  const oldFenceCollection = validateCollectionId(
    options?.oldFenceCollection ?? OLD_FENCE_COLLECTION,
    "oldFenceCollection",
  );
  // The new names obey exactly the rules the new backend applies to them.
  const { collection, fenceCollection } = resolveConfig({
    ...(options?.collection !== undefined ? { collection: options.collection } : {}),
    ...(options?.fenceCollection !== undefined ? { fenceCollection: options.fenceCollection } : {}),
  });
  // Lock cleanup deletes documents of the lock collection: it must never hold 2.x counters.
  if (collection === oldFenceCollection) {
    throw invalid(
      `collection must not be the 2.x fence collection ${JSON.stringify(oldFenceCollection)}`,
    );
  }
  return {
    oldFenceCollection,
    fenceCollection,
    subcollections: optionalBoolean(options?.subcollections, "subcollections", true),
    dryRun: optionalBoolean(options?.dryRun, "dryRun", false),
  };
}
