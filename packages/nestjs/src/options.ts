import type { FactoryProvider, ModuleMetadata } from "@nestjs/common";
import { LockError, type LockFunction } from "@syncguard/core";
import { checkOptionNames } from "@syncguard/core/driver";

/** Options of {@link SyncGuardModule.forRoot}. */
export interface SyncGuardModuleOptions {
  /**
   * The lock function every `SyncGuardService` call and every `@RunOnce()` method uses:
   * `createLock` of a store package (`@syncguard/redis`, `@syncguard/postgres`, ...) or of core.
   */
  lock: LockFunction;
  /**
   * Call `lock.close()` when the application shuts down (default true): it waits for runs and
   * held slot claims to end, then closes what the lock function opened itself. Your client is
   * never closed: close it after `app.close()`.
   */
  closeOnShutdown?: boolean;
}

/** What {@link SyncGuardModule.forRootAsync} takes: a factory of the options, with its injections. */
export interface SyncGuardModuleAsyncOptions {
  /** Modules whose providers the factory injects. */
  imports?: ModuleMetadata["imports"];
  /** Providers passed to `useFactory`, in order. */
  inject?: FactoryProvider["inject"];
  /** Makes the options from the injected providers; its result is checked at startup. */
  useFactory: (...args: never[]) => SyncGuardModuleOptions | Promise<SyncGuardModuleOptions>;
}

const MODULE_NAMES: ReadonlySet<string> = new Set(["lock", "closeOnShutdown"]);
const ASYNC_NAMES: ReadonlySet<string> = new Set(["imports", "inject", "useFactory"]);
const FOREIGN_NAMES: Readonly<Record<string, string>> = Object.freeze({
  client: "pass a lock function: lock: createLock(client) from your store package",
  backend: "pass a lock function: lock: createLock(backend) from @syncguard/core",
  isGlobal: "SyncGuardModule is always global: import it once, in the root module",
  useClass: "forRootAsync takes useFactory (with inject and imports)",
  useExisting: "forRootAsync takes useFactory (with inject and imports)",
});

function isObject(value: unknown): value is object {
  return value !== null && typeof value === "object";
}

/** The module's options, checked before any I/O. */
export function checkModuleOptions(
  options: unknown,
  where: string,
): Required<SyncGuardModuleOptions> {
  if (!isObject(options)) {
    throw new LockError("InvalidArgument", `${where} must be an object with a lock function`);
  }
  checkOptionNames(options, MODULE_NAMES, where, FOREIGN_NAMES);
  const { lock, closeOnShutdown = true } = options as SyncGuardModuleOptions;
  if (
    typeof lock !== "function" ||
    typeof lock.ifFree !== "function" ||
    typeof lock.close !== "function"
  ) {
    throw new LockError(
      "InvalidArgument",
      `${where}: lock must be a lock function (createLock from @syncguard/core or a store package), got ${lock === null ? "null" : typeof lock}`,
    );
  }
  if (typeof closeOnShutdown !== "boolean") {
    throw new LockError(
      "InvalidArgument",
      `${where}: closeOnShutdown must be a boolean, got ${typeof closeOnShutdown}`,
    );
  }
  return { lock, closeOnShutdown };
}

/** forRootAsync's own options, checked when the module is declared. */
export function checkAsyncOptions(options: unknown, where: string): SyncGuardModuleAsyncOptions {
  if (!isObject(options)) {
    throw new LockError("InvalidArgument", `${where} must be an object with useFactory`);
  }
  checkOptionNames(options, ASYNC_NAMES, where, FOREIGN_NAMES);
  const given = options as SyncGuardModuleAsyncOptions;
  if (typeof given.useFactory !== "function") {
    throw new LockError(
      "InvalidArgument",
      `${where}: useFactory must be a function returning { lock }`,
    );
  }
  for (const name of ["imports", "inject"] as const) {
    if (given[name] !== undefined && !Array.isArray(given[name])) {
      throw new LockError("InvalidArgument", `${where}: ${name} must be an array`);
    }
  }
  return given;
}
