import type { PubSubTransport } from "../operations/subscribe";
import type { ScriptClient } from "../types";

/** What the backend needs from a client library, whichever the user passed. */
export interface ClientAdapter {
  /** Which library, for messages. */
  readonly library: "node-redis" | "ioredis";
  /** What the operations send scripts and GETs on. */
  readonly sender: ScriptClient;
  /** Wake-up subscriptions (sharded on a cluster). */
  readonly transport: PubSubTransport;
  /** A Redis Cluster: releases are announced with SPUBLISH from the lock's shard. */
  readonly cluster: boolean;
}
