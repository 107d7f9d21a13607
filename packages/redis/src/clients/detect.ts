import { LockError } from "@syncguard/core";
import type { RedisClientLike } from "../types";
import type { ClientAdapter } from "./adapter";
import { ioredisAdapter, isIoredisClient } from "./ioredis";
import { isNodeRedisClient, nodeRedisAdapter } from "./node-redis";

const ACCEPTED =
  "a node-redis client (createClient or createCluster from `redis` 5 or 6) " +
  "or an ioredis client (new Redis or new Cluster from `ioredis` 5.6+ or 6)";

/** The adapter for whichever supported client library `client` comes from. */
export function adaptClient(client: RedisClientLike): ClientAdapter {
  if (typeof client === "object" && client !== null) {
    if (isNodeRedisClient(client)) return nodeRedisAdapter(client);
    if (isIoredisClient(client)) return ioredisAdapter(client);
  }
  throw new LockError(
    "InvalidArgument",
    `createRedisBackend needs ${ACCEPTED}; got ${describe(client)}`,
  );
}

/** What the caller passed, in a few words. */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object")
    return typeof value === "function"
      ? "a function"
      : `${typeof value} ${String(value).slice(0, 40)}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  const kind =
    typeof name === "string" && name !== "" && name !== "Object" ? `a ${name}` : "an object";
  return `${kind} without evalSha (node-redis) or evalsha, status and duplicate (ioredis)`;
}
