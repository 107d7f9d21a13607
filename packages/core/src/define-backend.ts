import type { DriverAttempt, LockDriver } from "./driver";
import { driverCall } from "./driver-call";
import { driverEngineView } from "./driver-engine";
import { carryEngineView } from "./engine-view";
import { LockError } from "./errors";
import { lockSpace } from "./lease-space";
import { releaseOrphan } from "./orphan";
import {
  type DefinedBackend,
  type DriverParts,
  publicBackend,
  shapeAttempt,
} from "./public-backend";
import type { AcquireResult, BackendCapabilities } from "./types";
import { Watches } from "./watches";

export type { DefinedBackend } from "./public-backend";

/**
 * Turns a driver into a `LockBackend` that obeys the contract's input, abort, result and secrecy
 * rules whatever the driver does (ADR-022):
 * - every input is validated before the driver sees it, and a signal that already fired throws
 *   `Aborted` with nothing sent;
 * - a signal that fires while the driver works ends the call at once with `Aborted`; an acquire
 *   abandoned that way is released once the driver answers, if it took the lock;
 * - lockIds come from core, and no lookup or holder info ever carries one;
 * - driver errors become LockErrors through the driver's `toLockError` (unknown ones: Internal);
 * - wake-ups are reference-counted here: the driver watches each key once.
 * Three parts: the call wrapper (`driver-call`), the public backend (`public-backend`), and the
 * engine's view of the driver (`driver-engine`).
 */
export function defineBackend<C extends BackendCapabilities>(
  driver: LockDriver<C>,
): DefinedBackend<C> {
  const call = driverCall(driver);
  const parts: DriverParts<C> = {
    driver,
    capabilities: Object.freeze({ ...driver.capabilities }),
    call,
    watches: driver.watch ? new Watches(driver) : undefined,
    permits: permitParts(driver),
    attempt: async (input, raced) => {
      const outcome = await call(
        "acquire",
        raced ? input.signal : undefined,
        () => driver.acquire(input),
        (pending) =>
          releaseOrphan(
            lockSpace(backend),
            input.key,
            input.lockId,
            pending.then(toOk),
            input.ttlMs,
          ),
      );
      return shapeAttempt(outcome, input.lockId) as AcquireResult<C>;
    },
  };
  const backend = publicBackend(parts);
  carryEngineView(backend, driverEngineView(parts));
  return backend;
}

/** For the orphan release: an acquired attempt reads as `{ ok: true }`. */
const toOk = (outcome: DriverAttempt) => ({ ok: outcome.acquired });

/** A driver's permits, checked once: all three operations or a clear refusal (ADR-039). */
function permitParts(
  driver: LockDriver<BackendCapabilities>,
): DriverParts<BackendCapabilities>["permits"] {
  const { permits } = driver;
  if (permits === undefined) return undefined;
  const missing = (["acquire", "release", "extend"] as const).filter(
    (name) => typeof permits?.[name] !== "function",
  );
  if (missing.length > 0) {
    throw new LockError(
      "InvalidArgument",
      `The driver's permits lack ${missing.join(", ")}: a driver has all three permit operations or no \`permits\``,
    );
  }
  const notFunctions = (["read", "list"] as const).filter(
    (name) => permits[name] !== undefined && typeof permits[name] !== "function",
  );
  if (notFunctions.length > 0) {
    throw new LockError(
      "InvalidArgument",
      `The driver's permits.${notFunctions.join(", permits.")} must be functions when given`,
    );
  }
  const { watch } = permits;
  return {
    watches: watch
      ? new Watches({ watch: (key, listener) => watch.call(permits, key, listener) })
      : undefined,
  };
}
