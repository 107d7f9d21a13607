import { type DynamicModule, Module, type ModuleMetadata, type Provider } from "@nestjs/common";
import { DiscoveryModule, DiscoveryService } from "@nestjs/core";
import { RunOnceBinder } from "./binder";
import {
  checkAsyncOptions,
  checkModuleOptions,
  type SyncGuardModuleAsyncOptions,
  type SyncGuardModuleOptions,
} from "./options";
import { SyncGuardService } from "./service";

/** Injection token of the module's resolved options. */
export const SYNCGUARD_MODULE_OPTIONS = "SYNCGUARD_MODULE_OPTIONS";

/**
 * SyncGuard for a Nest application: import it once, in the root module. It is global: every
 * module can inject {@link SyncGuardService}, and every `@RunOnce()` method is bound at startup.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: Nest imports a module as a class with static forRoot().
export class SyncGuardModule {
  /** The module on a lock function you have already made. Options are checked here. */
  static forRoot(options: SyncGuardModuleOptions): DynamicModule {
    const checked = checkModuleOptions(options, "SyncGuardModule.forRoot() options");
    return module({ provide: SYNCGUARD_MODULE_OPTIONS, useValue: checked }, []);
  }

  /** The module on options a factory makes, with injected providers (a config service, a client). */
  static forRootAsync(options: SyncGuardModuleAsyncOptions): DynamicModule {
    const given = checkAsyncOptions(options, "SyncGuardModule.forRootAsync() options");
    const factory = given.useFactory as (...args: unknown[]) => unknown;
    return module(
      {
        provide: SYNCGUARD_MODULE_OPTIONS,
        useFactory: async (...args: unknown[]) =>
          checkModuleOptions(
            await factory(...args),
            "SyncGuardModule.forRootAsync() useFactory result",
          ),
        inject: given.inject ?? [],
      },
      given.imports ?? [],
    );
  }
}
Module({})(SyncGuardModule);

function module(
  optionsProvider: Provider,
  imports: NonNullable<ModuleMetadata["imports"]>,
): DynamicModule {
  return {
    module: SyncGuardModule,
    global: true,
    imports: [DiscoveryModule, ...imports],
    providers: [
      optionsProvider,
      {
        provide: SyncGuardService,
        useFactory: (options: Required<SyncGuardModuleOptions>) =>
          new SyncGuardService(options.lock, options.closeOnShutdown),
        inject: [SYNCGUARD_MODULE_OPTIONS],
      },
      {
        provide: RunOnceBinder,
        useFactory: (discovery: DiscoveryService, service: SyncGuardService) =>
          new RunOnceBinder(discovery, service),
        inject: [DiscoveryService, SyncGuardService],
      },
    ],
    exports: [SyncGuardService],
  };
}
