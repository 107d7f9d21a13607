import type { DefinedBackend } from "./define-backend";
import { LockError } from "./errors";
import { defaultDeps } from "./handle";
import { createLockWith, type LockDefaults, type LockFunction } from "./lock";
import {
  FOREIGN_LOCK_OPTION_NAMES,
  LOCK_DEFAULT_NAMES,
  unknownOptionMessage,
} from "./option-names";
import { validateLockDefaults } from "./options";
import type { BackendCapabilities } from "./types";

/** What a store package's `createLock(client, options)` takes: how to build its backend. */
export interface StoreLockSpec<C extends BackendCapabilities, O extends object> {
  /** Every backend option name of the store (`keyPrefix`, `collection`, ...). */
  readonly backendOptionNames: ReadonlySet<string>;
  /** Renamed or removed backend options of the store: what to write instead. */
  readonly foreignNames?: Readonly<Record<string, string>>;
  /** Builds the backend from the backend options (which it validates). */
  readonly createBackend: (backendOptions: O) => DefinedBackend<C>;
}

/**
 * A store package's `createLock(client, options)`: backend options and lock defaults side by side
 * in one flat object, as core's `createLock(backend, defaults)` takes its defaults. A name the
 * store and the lock both know (`logger`) goes to both; an unknown one is refused before any I/O.
 * The lock function owns the backend it built: `lock.close()` closes it (never the client).
 */
export function createStoreLock<C extends BackendCapabilities, O extends object>(
  options: unknown,
  spec: StoreLockSpec<C, O>,
): LockFunction<C> {
  const given = options ?? {};
  if (typeof given !== "object") {
    throw new LockError("InvalidArgument", "createLock() options must be an object");
  }
  const backendOptions: Record<string, unknown> = {};
  const defaults: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    const forBackend = spec.backendOptionNames.has(name);
    const forLocks = LOCK_DEFAULT_NAMES.has(name);
    if (forBackend) backendOptions[name] = value;
    if (forLocks) defaults[name] = value;
    if (!forBackend && !forLocks)
      throw unknownCreateLockOption(name, spec.backendOptionNames, spec.foreignNames);
  }
  validateLockDefaults(defaults);
  const backend = spec.createBackend(backendOptions as O);
  return createLockWith(backend, defaults as LockDefaults, defaultDeps, () => backend.close());
}

function unknownCreateLockOption(
  name: string,
  backendOptionNames: ReadonlySet<string>,
  foreignNames: Readonly<Record<string, string>> = {},
): LockError {
  const known = new Set([...backendOptionNames, ...LOCK_DEFAULT_NAMES]);
  const foreign = {
    ...FOREIGN_LOCK_OPTION_NAMES,
    ...foreignNames,
    defaults:
      "lock defaults now sit beside the backend options: createLock(client, { ttlMs }) instead of createLock(client, { defaults: { ttlMs } })",
  };
  return new LockError(
    "InvalidArgument",
    unknownOptionMessage(name, known, "createLock() options", foreign),
  );
}
