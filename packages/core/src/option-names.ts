import { LockError } from "./errors";

/**
 * Strict option names (ADR-031). An options object with a name SyncGuard does not know is refused
 * with `InvalidArgument` before any I/O: a misspelt `timeout` or a 2.x `backoff` must not be
 * dropped in silence while the default applies. The message names the closest valid option, or
 * the new spelling of a name another library (or 2.x) used.
 */

/** Every name `lock()` / `acquire()` options may have. */
export const LOCK_OPTION_NAMES: ReadonlySet<string> = new Set([
  "key",
  "ttlMs",
  "timeoutMs",
  "maxRetries",
  "retryDelayMs",
  "maxRetryDelayMs",
  "jitter",
  "signal",
  "autoExtend",
  "maxHoldMs",
  "releaseTimeoutMs",
  "onReleaseError",
  "onEvent",
  "logger",
  "acquisition",
]);

/** Every name lock defaults (`createLock(backend, defaults)`) may have: the options but `key`. */
export const LOCK_DEFAULT_NAMES: ReadonlySet<string> = new Set(
  [...LOCK_OPTION_NAMES].filter((name) => name !== "key"),
);

/** Every name `lock.semaphore()` / `acquirePermit()` options may have: a lock's and `permits`. */
export const SEMAPHORE_OPTION_NAMES: ReadonlySet<string> = new Set([
  ...LOCK_OPTION_NAMES,
  "permits",
]);

/** The names of the nested form 2.x read retry options from (`acquisition: { ... }`). */
export const ACQUISITION_NAMES: ReadonlySet<string> = new Set([
  "timeoutMs",
  "maxRetries",
  "retryDelayMs",
  "jitter",
  "signal",
]);

/** Where a shipped backend's option goes: each store's own options, and where to pass them. */
const backendOption = (store: string, pkg: string, others: string): string =>
  `an option of the ${store} backend: pass it where that backend is made (${pkg}'s ` +
  `createLock(client, options), or its create${store === "PostgreSQL" ? "Postgres" : store}Backend); ${others}`;
const REDIS_OPTION = backendOption(
  "Redis",
  "@syncguard/redis",
  "PostgreSQL names its tables with schema and tablePrefix, Firestore with collection",
);
const FIRESTORE_OPTION = backendOption(
  "Firestore",
  "@syncguard/firestore",
  "Redis names its keys with keyPrefix, PostgreSQL its tables with schema and tablePrefix",
);
const POSTGRES_OPTION = backendOption(
  "PostgreSQL",
  "@syncguard/postgres",
  "Redis names its keys with keyPrefix, Firestore its documents with collection",
);
const EVERY_BACKEND_OPTION =
  "a backend option: pass it where the backend is made (the store package's createLock(client, options) or create<Store>Backend)";

/** Names other lock libraries, and SyncGuard 2.x, used for lock options: what to write instead. */
export const FOREIGN_LOCK_OPTION_NAMES: Readonly<Record<string, string>> = Object.freeze({
  // syncguard 2.x
  backoff:
    "delays always double from retryDelayMs up to maxRetryDelayMs; for a fixed delay set maxRetryDelayMs equal to retryDelayMs",
  disposeTimeoutMs: "use releaseTimeoutMs",
  // node-redlock, redis-semaphore and other peers
  retryCount: "use maxRetries",
  retries: "use maxRetries",
  retryJitter: 'use jitter ("equal", "full" or "none")',
  driftFactor: "not needed: expiry is judged by the backend's own clock plus a fixed tolerance",
  automaticExtensionThreshold: "autoExtend renews at a third of ttlMs",
  lockTimeout: "use ttlMs",
  acquireTimeout: "use timeoutMs",
  acquireAttemptsLimit: "use maxRetries",
  retryInterval: "use retryDelayMs",
  refreshInterval: "autoExtend renews at a third of ttlMs",
  onLockLost: "read ctx.signal in your work, or listen for the `lost` event with onEvent",
  // A semaphore's option given to a lock
  permits: "a semaphore option: use lock.semaphore() or acquirePermit() for a counting semaphore",
  // Options of the shipped backends, given to lock() or core's createLock(backend, ...)
  keyPrefix: REDIS_OPTION,
  evictionPolicyCheck: REDIS_OPTION,
  durability: REDIS_OPTION,
  collection: FIRESTORE_OPTION,
  fenceCollection: FIRESTORE_OPTION,
  schema: POSTGRES_OPTION,
  tablePrefix: POSTGRES_OPTION,
  notify: POSTGRES_OPTION,
  cleanupInIsLocked: FIRESTORE_OPTION,
  operationTimeoutMs: EVERY_BACKEND_OPTION,
});

/**
 * Throws `InvalidArgument` if `options` has an own enumerable name outside `known`.
 * `where` names the options object in the message ("lock() options").
 */
export function checkOptionNames(
  options: object,
  known: ReadonlySet<string>,
  where: string,
  foreign: Readonly<Record<string, string>> = FOREIGN_LOCK_OPTION_NAMES,
): void {
  for (const name in options) {
    if (!known.has(name) && Object.hasOwn(options, name)) {
      throw new LockError("InvalidArgument", unknownOptionMessage(name, known, where, foreign));
    }
  }
}

export function unknownOptionMessage(
  name: string,
  known: ReadonlySet<string>,
  where: string,
  foreign: Readonly<Record<string, string>> = FOREIGN_LOCK_OPTION_NAMES,
): string {
  const head = `Unknown option ${JSON.stringify(name)} in ${where}`;
  const advice = Object.hasOwn(foreign, name) ? foreign[name] : undefined;
  if (advice !== undefined) return `${head}: ${advice}`;
  const closest = closestName(name, known);
  if (closest !== undefined) return `${head}; did you mean ${closest}?`;
  const listed = [...known].filter((name) => name !== "acquisition").sort();
  return `${head}; valid options: ${listed.join(", ")}`;
}

/**
 * The known name a typo most likely meant: one that starts with it (`timeout` → `timeoutMs`), or
 * the nearest by edit distance, compared case-insensitively, within a third of its length.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const lower = candidate.toLowerCase();
    // A truncated name completes to the real one (`timeout` → `timeoutMs`); the other way round
    // (`keyPrefix` starts with `key`) is a different option, judged by spelling alone.
    const score =
      wanted.length >= 3 && lower.startsWith(wanted)
        ? (lower.length - wanted.length) / 10
        : editDistance(wanted, lower);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return bestScore <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Edit distance: insertions, deletions, substitutions and swaps of two neighbouring characters
 * (the commonest typing slip: `--ulr`) each cost one.
 */
function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, beforePrevious[j - 2]! + 1);
      }
      current.push(best);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/** Options 2.x took on the backend that are lock options now. */
const FOREIGN_BACKEND_OPTION_NAMES: Readonly<Record<string, string>> = Object.freeze({
  onReleaseError: "a lock option now: pass it to createLock() or lock()",
  disposeTimeoutMs: "use releaseTimeoutMs in createLock() or lock() options",
});

/**
 * Checks a backend factory's options (`createRedisBackend(client, options)`): `names` are the
 * store's own; a lock option given here is pointed to `createLock()`, where it belongs.
 */
export function checkBackendOptionNames(
  options: object,
  names: ReadonlySet<string>,
  where: string,
  foreign: Readonly<Record<string, string>> = {},
): void {
  for (const name in options) {
    if (names.has(name) || !Object.hasOwn(options, name)) continue;
    const advice = LOCK_DEFAULT_NAMES.has(name)
      ? `${name} is a lock option: pass it to createLock() (the store package's createLock takes both) or to each lock() call`
      : undefined;
    throw new LockError(
      "InvalidArgument",
      advice
        ? `Unknown option ${JSON.stringify(name)} in ${where}: ${advice}`
        : unknownOptionMessage(name, names, where, {
            ...FOREIGN_LOCK_OPTION_NAMES,
            ...FOREIGN_BACKEND_OPTION_NAMES,
            ...foreign,
          }),
    );
  }
}
