import type { OperatorCore } from "@syncguard/core/operator";
import { CliError, EXIT_CODES } from "../exit-codes";
import type { Store } from "../stores";

/**
 * Core's semaphore functions from the store's copy of core; a store package built on a core
 * without them cannot show or release permits (exit 2, saying what to upgrade).
 */
export function semaphoreCore(
  store: Store,
): Required<Pick<OperatorCore, "getSemaphore" | "forceReleasePermit">> {
  const { getSemaphore, forceReleasePermit } = store.core;
  if (!getSemaphore || !forceReleasePermit) {
    throw new CliError(
      EXIT_CODES.usage,
      `the installed ${store.name} package predates semaphore operators: upgrade it to show or release permits`,
    );
  }
  return { getSemaphore, forceReleasePermit };
}
