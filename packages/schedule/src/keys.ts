/**
 * Lock keys of scheduled runs (ADR-038). Every scheduler adapter builds the same keys from a job
 * name and a slot, so instances running different schedulers (node-cron on one, croner on
 * another) still share one run per slot.
 */

const SLOT_NAMESPACE = "schedule:slot:";
const JOB_NAMESPACE = "schedule:job:";

/** A slot as node-cron 4 writes it in its coordination keys: `Date#toISOString()`. */
const ISO_SLOT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The key one slot of a job is claimed under: at most one instance holds it, until every trigger
 * of that slot is past. The slot ends the key with a fixed-length timestamp, so no two
 * (name, slot) pairs share a key.
 */
export function slotKey(name: string, slotMs: number): string {
  return `${SLOT_NAMESPACE}${name}:${new Date(slotMs).toISOString()}`;
}

/** The key every run of a job holds while it works: runs of one job never overlap. */
export function jobKey(name: string): string {
  return `${JOB_NAMESPACE}${name}`;
}

/** node-cron 4's coordination key (`<task name>:<slot as ISO>`) split into name and slot. */
export function parseCoordinationKey(key: unknown): { name: string; slotMs: number } | undefined {
  if (typeof key !== "string") return undefined;
  const colon = key.length - 25;
  if (colon < 1 || key[colon] !== ":") return undefined;
  const iso = key.slice(colon + 1);
  if (!ISO_SLOT.test(iso)) return undefined;
  const slotMs = Date.parse(iso);
  if (!Number.isFinite(slotMs)) return undefined;
  return { name: key.slice(0, colon), slotMs };
}
