import "reflect-metadata";
import { LockError } from "@syncguard/core";
import { checkOptionNames } from "@syncguard/core/driver";
import { checkRunOnceOptions, type ScheduleOptions } from "@syncguard/schedule";

/** Options of {@link RunOnce}. */
export interface RunOnceDecoratorOptions extends ScheduleOptions {
  /**
   * The job's name in its lock keys (`schedule:slot:<key>:<slot>`, `schedule:job:<key>`), the
   * same on every instance. Default: `<class name>.<method name>`.
   */
  key?: string;
  /**
   * Lease of a run (ms): renewed while the method works, so this is how long a crashed run keeps
   * the job from running again, not a limit on the work.
   */
  ttlMs: number;
}

/** What {@link RunOnce} records on the method, for the module to bind at startup. */
export interface RunOnceMetadata {
  readonly name: string;
  readonly label: string;
  readonly options: Omit<RunOnceDecoratorOptions, "key">;
  /** The decorated method itself. */
  readonly method: (...args: unknown[]) => unknown;
}

/** Metadata key of {@link RunOnce} (a string: two copies of this package read each other's). */
export const RUN_ONCE_METADATA = "syncguard:run-once";

const OPTION_NAMES: ReadonlySet<string> = new Set([
  "key",
  "ttlMs",
  "overlap",
  "maxWaitMs",
  "lateAfterMs",
  "maxHoldMs",
  "onEvent",
]);
const FOREIGN_NAMES: Readonly<Record<string, string>> = Object.freeze({
  name: "set key: the job's name in its lock keys (default <class>.<method>)",
  timeoutMs: 'a slot claim is one attempt; with overlap: "queue" set maxWaitMs',
  waitForCompletion: 'runs never overlap across instances: choose overlap "skip" or "queue"',
  autoExtend: "runs are always renewed while the method works (bounded by maxHoldMs)",
});

type RunOnceTick = () => Promise<void>;

/**
 * The ticks of bound instances, per method. One registry per process (under a `Symbol.for`
 * key), so an ESM and a CommonJS copy of this package share it.
 */
const REGISTRY_KEY = Symbol.for("@syncguard/nestjs:run-once-ticks");
type Registry = WeakMap<object, Map<string | symbol, RunOnceTick>>;

function registry(): Registry {
  const host = globalThis as { [REGISTRY_KEY]?: Registry };
  host[REGISTRY_KEY] ??= new WeakMap();
  return host[REGISTRY_KEY];
}

/** Binds one method of one instance to its tick (the module does it at startup). */
export function bindTick(instance: object, method: string | symbol, tick: RunOnceTick): void {
  const ticks = registry().get(instance) ?? new Map<string | symbol, RunOnceTick>();
  ticks.set(method, tick);
  registry().set(instance, ticks);
}

/**
 * Runs a `@Cron()` or `@Interval()` method of @nestjs/schedule once per schedule slot across
 * every instance of the application (ADR-038), on the lock function of `SyncGuardModule`:
 *
 * ```ts
 * @Cron("0 * * * * *")
 * @RunOnce({ ttlMs: 30_000 })
 * async sweep(run: ScheduledRun) { ... } // run.slot, run.fence, run.signal
 * ```
 *
 * A `@Cron` slot is the cron expression's scheduled time the trigger belongs to; an `@Interval(ms)`
 * slot is the window of `ms` since the epoch the trigger falls in (instances start at different
 * times, so their intervals are not aligned). Either order of the two decorators works. Options
 * are checked here, when the class is defined.
 */
export function RunOnce(options: RunOnceDecoratorOptions): MethodDecorator {
  return (target, propertyKey, descriptor) => {
    const className =
      typeof target === "function" ? target.name : (target as object).constructor.name;
    const label = `@RunOnce() on ${className}.${String(propertyKey)}`;
    if (options === null || typeof options !== "object") {
      throw new LockError("InvalidArgument", `${label}: options must be an object with ttlMs`);
    }
    checkOptionNames(options, OPTION_NAMES, `${label} options`, FOREIGN_NAMES);
    const { key, ...rest } = options;
    if (key !== undefined && (typeof key !== "string" || key.length === 0)) {
      throw new LockError("InvalidArgument", `${label}: key must be a non-empty string`);
    }
    const name = key ?? `${className}.${String(propertyKey)}`;
    checkRunOnceOptions({ ...rest, name }, label);
    const method = descriptor.value as unknown;
    if (typeof method !== "function") {
      throw new LockError("InvalidArgument", `${label}: @RunOnce() decorates methods only`);
    }
    if (Reflect.getOwnMetadata(RUN_ONCE_METADATA, method) !== undefined) {
      throw new LockError("InvalidArgument", `${label}: @RunOnce() is applied twice`);
    }

    const runOnceMethod = function (this: object): Promise<void> {
      const tick = registry().get(this)?.get(propertyKey);
      if (tick === undefined) {
        return Promise.reject(
          new LockError(
            "InvalidArgument",
            `${label} was called on an instance SyncGuardModule did not bind: import SyncGuardModule.forRoot() (or forRootAsync()) in the application that schedules it`,
          ),
        );
      }
      return tick();
    };
    // Decorators applied before this one (written below it) put their metadata on the method.
    for (const metadataKey of Reflect.getOwnMetadataKeys(method)) {
      Reflect.defineMetadata(
        metadataKey,
        Reflect.getOwnMetadata(metadataKey, method),
        runOnceMethod,
      );
    }
    Object.defineProperty(runOnceMethod, "name", { value: method.name });
    const metadata: RunOnceMetadata = {
      name,
      label,
      options: rest,
      method: method as RunOnceMetadata["method"],
    };
    Reflect.defineMetadata(RUN_ONCE_METADATA, metadata, runOnceMethod);
    (descriptor as TypedPropertyDescriptor<unknown>).value = runOnceMethod;
    return descriptor;
  };
}
