import { LockError } from "@syncguard/core";
import { DEFAULT_KEY_PREFIX, resolveConfig } from "../config";
import { isUsableOldPrefix, normalizeOldPrefix } from "./layout-2x";

/** Options of `migrateFrom2x` (Redis). */
export interface RedisMigrationOptions {
  /** The `keyPrefix` the syncguard 2.x backend used. Default "syncguard" (trailing ":" ignored, as 2.x did). */
  oldKeyPrefix?: string;
  /** The `keyPrefix` the new backend will use. Default "syncguard". */
  keyPrefix?: string;
  /** Read and report what would change, write nothing. Default false. */
  dryRun?: boolean;
}

export interface ResolvedMigrationOptions {
  readonly oldPrefix: string;
  readonly keyPrefix: string;
  readonly dryRun: boolean;
}

const invalid = (message: string) => new LockError("InvalidArgument", message);

/** Applies defaults and validates, before any I/O. */
export function resolveMigrationOptions(
  options: RedisMigrationOptions | undefined,
): ResolvedMigrationOptions {
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw invalid("migrateFrom2x options must be an object");
  }
  const oldKeyPrefix = options?.oldKeyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof oldKeyPrefix !== "string") throw invalid("oldKeyPrefix must be a string");
  const oldPrefix = normalizeOldPrefix(oldKeyPrefix);
  if (!isUsableOldPrefix(oldPrefix)) {
    throw invalid("oldKeyPrefix is longer than syncguard 2.x accepted");
  }
  // The new prefix obeys exactly the rules the new backend applies to it.
  const { keyPrefix } = resolveConfig({ keyPrefix: options?.keyPrefix ?? DEFAULT_KEY_PREFIX });
  const dryRun = options?.dryRun ?? false;
  if (typeof dryRun !== "boolean") throw invalid("dryRun must be a boolean");
  return { oldPrefix, keyPrefix, dryRun };
}
