import type { DriverAcquireInput } from "@syncguard/core/driver";
import type { DriverContext } from "./context";

/**
 * How long a released key stays reserved for the oldest waiter (ADR-035): the woken waiter needs
 * a notification and one statement; one that died or gave up unseen costs this much once.
 */
export const HANDOFF_WINDOW_MS = 250;

/** A reservation's lock_id is this and the waiter's id; no lockId (base64url) starts with it. */
export const RESERVED = "~";

/** Core's waiter ids: base64url and a counter. They go into lock_ids and NOTIFY payloads. */
const WAITER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Whether an attempt reads the key's queue side: marks a lock that turns it away as waited on
 * (so its release announces itself), and queues the caller's waiter. Only a backend that wakes
 * its waiters keeps a queue (a reservation for a waiter that polls would only hold the key back).
 * Yes for a waiter's later attempts, and for any attempt on a key this backend watches (someone
 * here listens for its release, and a key waited for lately is probably held again). A caller's
 * first attempt on a key nobody here watches does neither: core subscribes after it and tries
 * again at once, and that attempt queues (a waiter must listen before it can be handed the key).
 */
export function attemptWaits(
  ctx: DriverContext,
  { waiter }: DriverAcquireInput,
  name: string,
): boolean {
  if (!ctx.watcher) return false;
  if (waiter && waiter.firstAttempt !== true) return true;
  return ctx.watcher.isWatching(name);
}

/**
 * The statement an attempt uses: "queued" when it waits (see attemptWaits), except for a waiter
 * the last release reserved the key for, which is expected to take it: "plain" first, the queued
 * one only if the key was not its to take after all.
 */
export function attemptPlan(
  ctx: DriverContext,
  input: DriverAcquireInput,
  name: string,
): "plain" | "reserved" | "queued" {
  const { waiter } = input;
  if (waiter && ctx.watcher?.takeReservation(name, waiter.id)) return "reserved";
  return attemptWaits(ctx, input, name) ? "queued" : "plain";
}

/** The waiter id to queue: core's ids only (they go into lock_ids and NOTIFY payloads). */
export function queuedWaiterId({ waiter }: DriverAcquireInput): string | null {
  return waiter && WAITER_ID.test(waiter.id) ? waiter.id : null;
}

/**
 * The parts of the payload the relay function sends for a release: `fence/name` when nobody was
 * handed the key (wake anyone), `fence:waiter:ms/name` when it is reserved for that waiter for
 * ms. The released lock's fence makes each release's payload its own (a key's fences only go
 * up), so a copy delivered twice is told from a second release; waiter ids hold no ":" or "/". A
 * payload without "/" is a release by a process of schema version 1: the bare name.
 */
export function parseReleasePayload(payload: string): {
  name: string;
  reservedFor?: string;
  reservedForMs?: number;
} {
  const slash = payload.indexOf("/");
  if (slash < 0) return { name: payload };
  const name = payload.slice(slash + 1);
  const [, reservedFor, ms] = payload.slice(0, slash).split(":");
  const reservedForMs = Number(ms);
  if (!reservedFor || !Number.isSafeInteger(reservedForMs) || reservedForMs < 0) return { name };
  return { name, reservedFor, reservedForMs };
}
