import { recogniseByBrand } from "./brand";
import { LockError } from "./errors";
import { isFence } from "./fence";

/** Registered brand, as for `LockError`: recognised across copies of core. */
const STALE_FENCE_BRAND = Symbol.for("@syncguard/core/StaleFenceError");

/**
 * A write refused because a newer holder has written already: its fence is older than the last
 * one the resource recorded. Not a LockError: the lock did its job, the write must not happen.
 */
export class StaleFenceError extends Error {
  /** Always "StaleFenceError". */
  override readonly name = "StaleFenceError";
  /** The fence the refused write carried. */
  readonly fence: string;
  /** The newest fence the resource had recorded. */
  readonly lastFence: string;

  constructor(fence: string, lastFence: string, resource?: string) {
    super(
      `Stale write refused${resource === undefined ? "" : ` on ${JSON.stringify(resource.slice(0, 64))}`}: ` +
        `fence ${fence} is older than ${lastFence}, the last fence that wrote to it`,
    );
    this.fence = fence;
    this.lastFence = lastFence;
  }

  /** True for a StaleFenceError of any copy of core (a backend's fence guard has its own). */
  static is(error: unknown): error is StaleFenceError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as { [STALE_FENCE_BRAND]?: unknown })[STALE_FENCE_BRAND] === true
    );
  }
}
Object.defineProperty(StaleFenceError.prototype, STALE_FENCE_BRAND, { value: true });
/** `instanceof StaleFenceError` holds across copies of core (see `is`). */
recogniseByBrand(StaleFenceError, StaleFenceError.is);

export function isStaleFenceError(error: unknown): error is StaleFenceError {
  return StaleFenceError.is(error);
}

function checkFence(value: unknown, what: string): string {
  if (!isFence(value)) {
    throw new LockError(
      "InvalidArgument",
      `${what} must be a fence (15 digits, as acquire returns it), got ${typeof value === "string" ? `a string of ${value.length} characters` : typeof value}`,
    );
  }
  return value;
}

/**
 * The fencing check for any store: throws StaleFenceError when `fence` is older than `lastFence`,
 * the newest fence recorded for the resource (null/undefined: none yet). An equal fence passes:
 * it is the same holder writing again. Run it in the same atomic step as the write (a
 * transaction, a conditional update), or a newer holder can write in between.
 */
export function assertFenceNewer(
  fence: string,
  lastFence: string | null | undefined,
  resource?: string,
): void {
  checkFence(fence, "fence");
  if (lastFence === null || lastFence === undefined) return;
  checkFence(lastFence, "lastFence");
  if (fence < lastFence) throw new StaleFenceError(fence, lastFence, resource);
}
