import type { ScriptCall } from "../types";
import type { PubSubTransport } from "../watcher";
import type { ConnectionState } from "./connection";

/** One command's outcome in a pipeline: its reply or its error. */
export type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Scripts and GETs in one call shape, whichever library sends them. */
export interface Sender {
  evalSha(sha: string, call: ScriptCall): Promise<unknown>;
  eval(script: string, call: ScriptCall): Promise<unknown>;
  /**
   * EVALSHA, then `followers` (keyless commands such as WAIT), pipelined on the connection of the
   * node that serves the script's first key, in that order; every outcome settled. Absent where
   * the library cannot pipeline a keyless command with a script (GLIDE): no `durability` there.
   */
  evalShaThen?(sha: string, call: ScriptCall, followers: readonly string[][]): Promise<Settled[]>;
  /** The same with EVAL (after NOSCRIPT). */
  evalThen?(source: string, call: ScriptCall, followers: readonly string[][]): Promise<Settled[]>;
  get(key: string): Promise<unknown>;
  /** A view whose commands the signal takes back while they wait to be written (node-redis). */
  withAbortSignal?(signal: AbortSignal): Sender;
}

export type ClientLibrary = "node-redis" | "ioredis" | "glide";

/** What the backend needs from a client library, whichever the user passed. */
export interface ClientAdapter {
  /** Which library, for messages. */
  readonly library: ClientLibrary;
  /** What the operations send scripts and GETs on. */
  readonly sender: Sender;
  /** Whether a command sent now would go to the server, and why not. */
  readonly connection: ConnectionState;
  /** Wake-up subscriptions (sharded on a cluster); absent when waiters poll (GLIDE without a subscriberConfig). */
  readonly transport?: PubSubTransport;
  /** The nodes a listing scans (every master of a cluster, in a stable order), for operators. */
  scanNodes(): Promise<readonly ScanNode[]>;
  /** A Redis Cluster: releases are announced with SPUBLISH from the lock's shard. */
  readonly cluster: boolean;
}

/** One server a listing SCANs: `id` names it in a cursor ("" on a single node). */
export interface ScanNode {
  readonly id: string;
  /**
   * `SCAN cursor MATCH match COUNT count TYPE type`: the next cursor and the keys it found. `type`
   * is "string" (lock records) unless given ("zset": semaphores' permit sets).
   */
  scan(
    cursor: string,
    match: string,
    count: number,
    type?: ScanType,
  ): Promise<{ cursor: string; keys: string[] }>;
}

/** The types of key a listing scans for. */
export type ScanType = "string" | "zset";

/** The SCAN arguments every client sends (records are strings: TYPE skips queues). */
export const scanArguments = (
  cursor: string,
  match: string,
  count: number,
  type: ScanType = "string",
): string[] => [cursor, "MATCH", match, "COUNT", String(count), "TYPE", type];

/** A raw SCAN reply ([cursor, keys]) in one shape, whichever client sent it. */
export function scanReply(reply: unknown): { cursor: string; keys: string[] } {
  if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) {
    throw new Error(`unexpected SCAN reply: ${JSON.stringify(reply)?.slice(0, 80)}`);
  }
  return { cursor: String(reply[0]), keys: (reply[1] as unknown[]).map(String) };
}

/** Settles commands sent back to back, in their order. */
export const settleAll = (replies: readonly Promise<unknown>[]): Promise<Settled[]> =>
  Promise.all(
    replies.map((reply) =>
      reply.then(
        (value): Settled => ({ ok: true, value }),
        (error: unknown): Settled => ({ ok: false, error }),
      ),
    ),
  );
