import { createHash } from "node:crypto";
import { LockError } from "@syncguard/core";
import { isNoScriptError } from "../errors";
import type { ScriptCall } from "../types";
import type { MigrationCommands } from "./commands";

/** Names per SCAN call: large enough to keep round trips few, small enough not to stall Redis. */
const SCAN_COUNT = 1_000;

/** A node-redis client that can SCAN: a `createClient()` client, or one node of a cluster. */
export interface MigrationScanner {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<readonly unknown[]>;
}

/** The commands the migration sends through the client (routed by key on a cluster). */
export interface MigrationScriptClient {
  get(key: string): Promise<unknown>;
  type(key: string): Promise<unknown>;
  eval(script: string, options: ScriptCall): Promise<unknown>;
  evalSha(sha: string, options: ScriptCall): Promise<unknown>;
}

/** A connected node-redis `createClient()` client (v5 or v6), as the migration uses it. */
export interface MigrationStandaloneClient extends MigrationScriptClient, MigrationScanner {}

/** A connected node-redis `createCluster()` client (v5 or v6), as the migration uses it. */
export interface MigrationClusterClient extends MigrationScriptClient {
  readonly masters: readonly unknown[];
  nodeClient(master: unknown): MigrationScanner | Promise<MigrationScanner>;
}

/** The clients `migrateFrom2x` accepts. */
export type MigrationClient = MigrationStandaloneClient | MigrationClusterClient;

function isCluster(client: MigrationClient): client is MigrationClusterClient {
  return Array.isArray((client as Partial<MigrationClusterClient>).masters);
}

const hasMethods = (value: object, names: string[]) =>
  names.every((name) => typeof (value as Record<string, unknown>)[name] === "function");

/** Checks the client's shape (no I/O) and adapts it to the migration's commands. */
export function nodeRedisCommands(client: MigrationClient): MigrationCommands {
  if (
    typeof client !== "object" ||
    client === null ||
    !hasMethods(client, ["get", "type", "eval"])
  ) {
    throw new LockError(
      "InvalidArgument",
      "migrateFrom2x needs a connected node-redis or ioredis client",
    );
  }
  const cluster = isCluster(client);
  if (!hasMethods(client, [cluster ? "nodeClient" : "scanIterator", "evalSha"])) {
    throw new LockError(
      "InvalidArgument",
      "migrateFrom2x needs a node-redis v5 or v6 client (createClient or createCluster)",
    );
  }
  return {
    async *scanKeys(match) {
      // Each master holds its own part of the keyspace: a cluster is scanned node by node.
      const scanners = cluster
        ? await Promise.all(client.masters.map((master) => client.nodeClient(master)))
        : [client];
      for (const scanner of scanners) {
        for await (const batch of scanner.scanIterator({ MATCH: match, COUNT: SCAN_COUNT })) {
          yield batch.map(String);
        }
      }
    },
    async get(key) {
      const value = await client.get(key);
      return value === null || value === undefined ? null : String(value);
    },
    type: async (key) => String(await client.type(key)),
    async runScript(source, keys, args) {
      // EVALSHA first: the script is sent in full only when the server does not have it yet.
      const sha = createHash("sha1").update(source).digest("hex");
      const call = { keys: [...keys], arguments: [...args] };
      try {
        return await client.evalSha(sha, call);
      } catch (error) {
        if (!isNoScriptError(error)) throw error;
        return await client.eval(source, call);
      }
    },
  };
}
