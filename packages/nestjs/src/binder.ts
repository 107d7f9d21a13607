import type { DiscoveryService } from "@nestjs/core";
import { MetadataScanner } from "@nestjs/core";
import { runOnce } from "@syncguard/schedule";
import { bindTick, RUN_ONCE_METADATA, type RunOnceMetadata } from "./run-once";
import { slotReaderOf } from "./schedule-slot";
import type { SyncGuardService } from "./service";

/**
 * Finds the `@RunOnce()` methods of the application's providers and controllers at startup and
 * binds each instance's method to a `runOnce` tick on the module's lock function. A method
 * without a schedule it can read fails the startup, before any I/O.
 */
export class RunOnceBinder {
  readonly #discovery: DiscoveryService;
  readonly #service: SyncGuardService;

  constructor(discovery: DiscoveryService, service: SyncGuardService) {
    this.#discovery = discovery;
    this.#service = service;
  }

  onModuleInit(): void {
    const scanner = new MetadataScanner();
    for (const wrapper of [
      ...this.#discovery.getProviders(),
      ...this.#discovery.getControllers(),
    ]) {
      const instance: unknown = wrapper.instance;
      if (instance === null || typeof instance !== "object") continue;
      const prototype = Object.getPrototypeOf(instance) as object | null;
      if (prototype === null) continue;
      // @nestjs/schedule schedules nothing on request-scoped instances either.
      if (!wrapper.isDependencyTreeStatic()) continue;
      for (const methodName of scanner.getAllMethodNames(prototype)) {
        const method = (instance as Record<string, unknown>)[methodName];
        if (typeof method !== "function") continue;
        const metadata = Reflect.getMetadata(RUN_ONCE_METADATA, method) as
          | RunOnceMetadata
          | undefined;
        if (metadata !== undefined) this.#bind(instance, methodName, method, metadata);
      }
    }
  }

  #bind(instance: object, methodName: string, method: object, metadata: RunOnceMetadata): void {
    const reader = slotReaderOf(method, metadata.label);
    const tick = runOnce(
      this.#service.lockFunction,
      {
        ...metadata.options,
        name: metadata.name,
        lateAfterMs: metadata.options.lateAfterMs ?? reader.lateAfterMs,
      },
      (run) => metadata.method.call(instance, run),
    );
    bindTick(instance, methodName, () => tick(reader.read()));
  }
}
