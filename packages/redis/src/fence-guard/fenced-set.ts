import { assertFenceNewer, LockError, StaleFenceError } from "@syncguard/core";
import type { Sender } from "../clients/adapter";
import { adaptClient } from "../clients/detect";
import { toRedisLockError } from "../errors";
import { replyArray, replyNumber, replyString } from "../reply";
import { defineLuaScript, runScript } from "../scripts";
import type { RedisClientLike } from "../types";
import FENCED_SET_LUA from "./fenced-set.lua";

const script = defineLuaScript("fencedSet", FENCED_SET_LUA);

export interface FencedSetOptions {
  /** The resource the lock protects, as a Redis string key. */
  key: string;
  value: string;
  /** The writer's fence, as `lock()` / `acquire()` returned it. */
  fence: string;
  /** Expire the value after this many ms (the fence record never expires). */
  ttlMs?: number;
  /**
   * Where the last fence is recorded. Default: `{<key>}:fence` (or `{<tag>}:fence:<key>` for a key
   * with a hash tag), in the key's cluster slot. Needed only for keys with a `}` but no hash tag.
   */
  fenceKey?: string;
}

/**
 * Where the last fence of `key` is recorded: a name in the same cluster slot, so one script can
 * check and write both. Redis hashes a key by its first non-empty `{…}` tag, else by the whole key.
 */
export function fenceRecordKey(key: string): string {
  const open = key.indexOf("{");
  const close = open >= 0 ? key.indexOf("}", open + 1) : -1;
  if (open >= 0 && close > open + 1) return `{${key.slice(open + 1, close)}}:fence:${key}`;
  if (key.includes("}")) {
    throw new LockError(
      "InvalidArgument",
      "fencedSet cannot place the fence record of a key with a `}` but no hash tag in its slot: pass fenceKey",
    );
  }
  return `{${key}}:fence`;
}

const senders = new WeakMap<object, Sender>();

/** One adapter per client, made on first use (the guard opens no connection of its own). */
function senderFor(client: RedisClientLike): Sender {
  let sender = senders.get(client);
  if (!sender) {
    sender = adaptClient(client).sender;
    senders.set(client, sender);
  }
  return sender;
}

/**
 * The fencing check for a resource kept in Redis: sets `key` to `value` only if `fence` is not
 * older than the last fence that wrote to it, in one script, and records `fence`. Throws
 * StaleFenceError when a newer holder has written already; the same holder may write again.
 */
export async function fencedSet(client: RedisClientLike, options: FencedSetOptions): Promise<void> {
  const { key, value, fence, ttlMs } = validate(options);
  const fenceKey = options.fenceKey ?? fenceRecordKey(key);
  const sender = senderFor(client);
  let reply: unknown;
  try {
    reply = await runScript(sender, script, {
      keys: [key, fenceKey],
      arguments: [fence, value, ttlMs === undefined ? "" : String(ttlMs)],
    });
  } catch (error) {
    throw toRedisLockError(error, "fencedSet");
  }
  const values = replyArray(reply, "fencedSet");
  if (replyNumber(values[0], "fencedSet") === 1) return;
  throw new StaleFenceError(fence, replyString(values[1], "fencedSet last fence"), key);
}

function validate(options: FencedSetOptions): FencedSetOptions {
  if (typeof options !== "object" || options === null) {
    throw new LockError("InvalidArgument", "fencedSet needs { key, value, fence }");
  }
  const { key, value, fence, ttlMs, fenceKey } = options;
  if (typeof key !== "string" || key === "") {
    throw new LockError("InvalidArgument", "fencedSet needs a non-empty string key");
  }
  if (typeof value !== "string") {
    throw new LockError("InvalidArgument", "fencedSet stores a string value");
  }
  assertFenceNewer(fence, null); // validates its form
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
    throw new LockError("InvalidArgument", "fencedSet ttlMs must be a positive integer");
  }
  if (fenceKey !== undefined && (typeof fenceKey !== "string" || fenceKey === "")) {
    throw new LockError("InvalidArgument", "fencedSet fenceKey must be a non-empty string");
  }
  return options;
}
