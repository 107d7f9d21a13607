import { LockError, type Logger } from "@syncguard/core";
import {
  type Clock,
  checkBackendOptionNames,
  systemClock,
  utf8Bytes,
  validateLogger,
  validateTtl,
} from "@syncguard/core/driver";

export interface FirestoreBackendOptions {
  /** Collection holding lock documents. Default "locks". */
  collection?: string;
  /** Collection holding fence counters; must differ from `collection`. Default "fence_counters". */
  fenceCollection?: string;
  /** Let isLocked delete lock documents expired past the cleanup guard (never fence counters). Default false. */
  cleanupInIsLocked?: boolean;
  /**
   * Upper bound on one operation (its transaction, retries included), in ms. Past it the call
   * rejects with `LockError("NetworkTimeout")`: the outcome is then unknown. Default 10 000.
   * Exists because the Firestore client retries an unreachable server for ~40 s on its own.
   * At most 2^31 - 1 (the longest Node timer).
   */
  operationTimeoutMs?: number;
  /** Time source for expiry decisions (the client is the time authority). Default `Date.now`. For tests. */
  clock?: Clock;
  /**
   * Where the backend's warnings go (duplicate lockIds, fence counter near its limit), and the
   * default logger of every lock taken on it. Default `console`.
   */
  logger?: Logger;
}

/** Every option `createFirestoreBackend` takes. */
export const FIRESTORE_BACKEND_OPTION_NAMES: ReadonlySet<string> = new Set([
  "collection",
  "fenceCollection",
  "cleanupInIsLocked",
  "operationTimeoutMs",
  "clock",
  "logger",
]);

export interface FirestoreConfig {
  readonly collection: string;
  readonly fenceCollection: string;
  readonly cleanupInIsLocked: boolean;
  readonly operationTimeoutMs: number;
  readonly clock: Clock;
  readonly logger?: Logger;
}

export const FIRESTORE_DEFAULTS = Object.freeze({
  collection: "locks",
  fenceCollection: "fence_counters",
  cleanupInIsLocked: false,
  operationTimeoutMs: 10_000,
});

/** Firestore's limit on a document or collection id, in UTF-8 bytes. */
export const MAX_ID_BYTES = 1500;

/** Ids Firestore reserves: ".", ".." and anything shaped like "__name__". */
export function isReservedId(id: string): boolean {
  return id === "." || id === ".." || /^__.*__$/s.test(id);
}

export function validateCollectionId(value: unknown, name: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new LockError("InvalidArgument", `${name} must be a non-empty string`);
  }
  // A "/" would address a sub-collection path rather than one top-level collection.
  if (value.includes("/")) {
    throw new LockError(
      "InvalidArgument",
      `${name} must not contain "/": ${JSON.stringify(value)}`,
    );
  }
  if (isReservedId(value)) {
    throw new LockError(
      "InvalidArgument",
      `${name} ${JSON.stringify(value)} is reserved by Firestore (".", "..", "__name__")`,
    );
  }
  if (utf8Bytes(value) > MAX_ID_BYTES) {
    throw new LockError("InvalidArgument", `${name} exceeds ${MAX_ID_BYTES} bytes`);
  }
  return value;
}

/** Applies defaults and validates; throws `LockError("InvalidArgument")` synchronously. */
export function resolveConfig(options: FirestoreBackendOptions = {}): FirestoreConfig {
  if (options === null || typeof options !== "object") {
    throw new LockError("InvalidArgument", "Firestore backend options must be an object");
  }
  checkBackendOptionNames(
    options,
    FIRESTORE_BACKEND_OPTION_NAMES,
    "createFirestoreBackend() options",
  );
  const collection = validateCollectionId(
    options.collection ?? FIRESTORE_DEFAULTS.collection,
    "collection",
  );
  const fenceCollection = validateCollectionId(
    options.fenceCollection ?? FIRESTORE_DEFAULTS.fenceCollection,
    "fenceCollection",
  );
  // One shared collection would let lock cleanup reach fence counters (they must never be deleted).
  if (collection === fenceCollection) {
    throw new LockError(
      "InvalidArgument",
      `collection and fenceCollection must differ (both are ${JSON.stringify(collection)})`,
    );
  }
  const cleanupInIsLocked = options.cleanupInIsLocked ?? FIRESTORE_DEFAULTS.cleanupInIsLocked;
  if (typeof cleanupInIsLocked !== "boolean") {
    throw new LockError("InvalidArgument", "cleanupInIsLocked must be a boolean");
  }
  // Same bound as a TTL: the longest delay a Node timer holds (a longer one fires at once).
  const operationTimeoutMs = validateTtl(
    options.operationTimeoutMs ?? FIRESTORE_DEFAULTS.operationTimeoutMs,
    "operationTimeoutMs",
  );
  const clock = options.clock ?? systemClock;
  if (typeof clock !== "function") {
    throw new LockError("InvalidArgument", "clock must be a function returning ms since epoch");
  }
  const logger = validateLogger(options.logger);
  return {
    collection,
    fenceCollection,
    cleanupInIsLocked,
    operationTimeoutMs,
    clock,
    ...(logger ? { logger } : {}),
  };
}
