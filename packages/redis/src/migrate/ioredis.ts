import { createHash } from "node:crypto";
import { isNoScriptError } from "../errors";
import type { MigrationCommands } from "./commands";

/** Names per SCAN call: large enough to keep round trips few, small enough not to stall Redis. */
const SCAN_COUNT = 1_000;

/** One ioredis connection that can SCAN (a `new Redis()` client, or one master of a cluster). */
export interface IoredisMigrationScanner {
  scanStream(options: { match: string; count: number }): AsyncIterable<unknown>;
}

/** A connected ioredis client (`new Redis()` or `new Cluster()`), as the migration uses it. */
export interface IoredisMigrationClient {
  readonly isCluster: boolean;
  get(key: string): Promise<string | null>;
  type(key: string): Promise<string>;
  evalsha(sha: string, numKeys: number, ...keysAndArguments: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArguments: string[]): Promise<unknown>;
  scanStream?(options: { match: string; count: number }): AsyncIterable<unknown>;
  /** On a cluster: its masters, each scanned for its part of the keyspace. */
  nodes?(role: "master"): IoredisMigrationScanner[];
}

/** An ioredis client: lower-case `evalsha` where node-redis has `evalSha`. */
export function isIoredisMigrationClient(client: object): client is IoredisMigrationClient {
  const candidate = client as Partial<IoredisMigrationClient>;
  return typeof candidate.evalsha === "function" && typeof candidate.isCluster === "boolean";
}

/** The migration's commands on ioredis. */
export function ioredisCommands(client: IoredisMigrationClient): MigrationCommands {
  return {
    async *scanKeys(match) {
      const scanners = client.isCluster ? (client.nodes?.("master") ?? []) : [client];
      for (const scanner of scanners) {
        if (!scanner.scanStream) continue;
        for await (const batch of scanner.scanStream({ match, count: SCAN_COUNT })) {
          yield (batch as unknown[]).map(String);
        }
      }
    },
    get: (key) => client.get(key),
    type: (key) => client.type(key),
    async runScript(source, keys, args) {
      // EVALSHA first: the script is sent in full only when the server does not have it yet.
      const sha = createHash("sha1").update(source).digest("hex");
      try {
        return await client.evalsha(sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!isNoScriptError(error)) throw error;
        return await client.eval(source, keys.length, ...keys, ...args);
      }
    },
  };
}
