import { LockError } from "@syncguard/core";
import { DEFAULT_OPERATION_TIMEOUT_MS } from "../config";
import type { RedisClientLike } from "../types";
import type { ClientAdapter } from "./adapter";
import { glideAdapter, isGlideClient } from "./glide";
import { ioredisAdapter, isIoredisClient } from "./ioredis";
import { isNodeRedisClient, nodeRedisAdapter } from "./node-redis";

const ACCEPTED =
  "a node-redis client (createClient or createCluster from `redis` 5 or 6), " +
  "an ioredis client (new Redis or new Cluster from `ioredis` 5.6+ or 6, or from its fork `iovalkey`) " +
  "or a Valkey GLIDE client (GlideClient or GlideClusterClient from `@valkey/valkey-glide` 2.3+)";

/** What the adapters take from the backend's options. */
export interface AdapterOptions {
  /** GLIDE only: the configuration of the backend's own subscriber client (ADR-042). */
  subscriberConfig?: object;
  /** Bounds a GLIDE subscription's confirmation. Default: the backend's default operationTimeoutMs. */
  operationTimeoutMs?: number;
}

/** The adapter for whichever supported client library `client` comes from. */
export function adaptClient(client: RedisClientLike, options: AdapterOptions = {}): ClientAdapter {
  if (typeof client === "object" && client !== null) {
    if (isGlideClient(client)) {
      return glideAdapter(client, {
        subscriberConfig: options.subscriberConfig,
        subscribeTimeoutMs: options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS,
      });
    }
    if (options.subscriberConfig !== undefined) {
      throw new LockError(
        "InvalidArgument",
        "subscriberConfig is for Valkey GLIDE clients only: the backend opens wake-up subscriptions on a duplicate of a node-redis or ioredis client by itself; remove it",
      );
    }
    if (isNodeRedisClient(client)) {
      if (isNodeRedis4(client)) throw nodeRedis4Error();
      return nodeRedisAdapter(client);
    }
    if (isIoredisClient(client)) return ioredisAdapter(client);
  }
  throw new LockError(
    "InvalidArgument",
    `createRedisBackend needs ${ACCEPTED}; got ${describe(client)}`,
  );
}

/** node-redis 4 clients end with quit()/disconnect(); 5 and 6 added close(). */
function isNodeRedis4(client: object): boolean {
  const candidate = client as { close?: unknown; quit?: unknown };
  return typeof candidate.close !== "function" && typeof candidate.quit === "function";
}

/**
 * Why node-redis 4 is refused (README, "Supported clients"): its cluster client routes EVALSHA
 * and EVAL without looking at their keys, so scripts land on random shards and fail with MOVED
 * (checked up to 4.7.1, its last release). One backend code path for every node-redis client
 * that SyncGuard accepts is worth more than a single-node-only mode for a superseded major.
 */
function nodeRedis4Error(): LockError {
  return new LockError(
    "InvalidArgument",
    "createRedisBackend does not support node-redis 4: its cluster client sends scripts to a random " +
      "shard (they fail with MOVED). Upgrade to `redis` 5 or 6 (the calls SyncGuard makes are the " +
      "same), or use ioredis",
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
  return `${kind} without evalSha (node-redis), evalsha, status and duplicate (ioredis) or invokeScript and customCommand (GLIDE)`;
}
