import { keyTag, lockIdKeyTag } from "@syncguard/core/driver";

/**
 * Redis names for one lock, all under `${prefix}:{${route}}:` so that every key a script touches
 * is in one Redis Cluster slot. The key tag (12 base64url characters of SHA-256 of the key) names
 * the key's own entries; every lockId ends in its key's tag, so a lockId alone leads to the record.
 * The route is the tag's first two characters: 4096 routes, and one fence counter per route.
 */
export interface KeyLayout {
  /** The lock record or hand-off reservation (one string, see record.ts). */
  readonly record: string;
  /** The fence counter, shared by the keys of one route: never deleted, no TTL. */
  readonly fence: string;
  /** Waiters queued for the key (sorted set: 'waiterId:budgetMs' -> arrival, server ms). */
  readonly queue: string;
  /** Release announcements for the key (a channel, not a key). */
  readonly channel: string;
}

/** Characters of the key tag that pick the route (and so the cluster slot). */
const ROUTE_CHARS = 2;
/** Routes per key prefix (64 base64url characters, twice): the most fence counters a prefix has. */
export const ROUTES = 64 ** ROUTE_CHARS;

// The scripts name a key's channel from its record's name (record.lua, releaseChannel): the two
// differ only in "lock:" / "released:" before the tag.
export function layoutForTag(prefix: string, tag: string): KeyLayout {
  const slot = `${prefix}:{${tag.slice(0, ROUTE_CHARS)}}:`;
  return {
    record: `${slot}lock:${tag}`,
    fence: `${slot}fence`,
    queue: `${slot}queue:${tag}`,
    channel: `${slot}released:${tag}`,
  };
}

/** The release channel of a tag (what `layoutForTag(prefix, tag).channel` says, alone). */
export const channelForTag = (prefix: string, tag: string): string =>
  `${prefix}:{${tag.slice(0, ROUTE_CHARS)}}:released:${tag}`;

export const layoutForKey = (prefix: string, normalizedKey: string): KeyLayout =>
  layoutForTag(prefix, keyTag(normalizedKey));

export const layoutForLockId = (prefix: string, lockId: string): KeyLayout =>
  layoutForTag(prefix, lockIdKeyTag(lockId));

/** A waiter's entry in a wait queue: its id and its budget, so a release can skip lapsed ones. */
export const queueMember = (waiterId: string, budgetMs: number): string =>
  `${waiterId}:${budgetMs}`;

/** The waiter id of a queue member (what core's wait queue knows a waiter by). */
export const waiterOfMember = (member: string): string => member.replace(/:\d+$/, "");
