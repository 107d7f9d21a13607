import { createClient, createCluster } from "redis";
import { createRedisBackend } from "../../src";
import type { RedisBackend, RedisClientLike } from "../../src/types";

const HINT = "run `pnpm test` from the repo root, which starts the services";

export type Mode = "single" | "cluster";
export const MODES: Mode[] = ["single", "cluster"];

export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error(`REDIS_URL is not set: ${HINT}`);
  return url;
}

export function clusterNodes(): string[] {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) throw new Error(`REDIS_CLUSTER_NODES is not set: ${HINT}`);
  return nodes.split(",").map((node) => node.trim());
}

// RESP2 replies of the commands the tests use are shaped like RESP3 ones; type both as RESP3.
const makeClient = (url: string, resp: 2 | 3 = 3) => createClient({ url, RESP: resp as 3 });
const makeCluster = (urls: string[], resp: 2 | 3 = 3) =>
  createCluster({ rootNodes: urls.map((url) => ({ url })), RESP: resp as 3 });
export type Client = ReturnType<typeof makeClient>;
export type Cluster = ReturnType<typeof makeCluster>;

/** The client under test plus plain per-node clients for INFO / SCRIPT FLUSH. */
export interface Target {
  mode: Mode;
  client: Client | Cluster;
  /** The same client, typed as the backend sees it. */
  backendClient: RedisClientLike;
  nodes: Client[];
  close(): Promise<void>;
}

export async function connectTarget(mode: Mode, resp: 2 | 3 = 3): Promise<Target> {
  const urls = mode === "single" ? [redisUrl()] : clusterNodes().map((node) => `redis://${node}`);
  const nodes = urls.map((url) => makeClient(url));
  await Promise.all(nodes.map((node) => node.connect()));
  const client = mode === "single" ? makeClient(urls[0] as string, resp) : makeCluster(urls, resp);
  client.on("error", () => {});
  await client.connect();
  return {
    mode,
    client,
    backendClient: client,
    nodes,
    async close() {
      await Promise.all([client.close(), ...nodes.map((node) => node.close())]);
    },
  };
}

/** Total calls per command across the target's nodes, from INFO commandstats. */
/**
 * Registers the beforeAll/afterAll of a describe block that works on one backend: connects a
 * target, builds the backend with `keyPrefix`, hands both to `onReady`, and closes both after.
 */
export function useBackend(
  mode: Mode,
  keyPrefix: string,
  onReady: (target: Target, backend: RedisBackend) => void,
): void {
  let target: Target | undefined;
  let backend: RedisBackend | undefined;
  beforeAll(async () => {
    target = await connectTarget(mode);
    backend = createRedisBackend(target.backendClient, { keyPrefix });
    onReady(target, backend);
  });
  afterAll(async () => {
    await backend?.close();
    await target?.close();
  });
}

export async function commandCalls(target: Target): Promise<Map<string, number>> {
  const totals = new Map<string, number>();
  for (const node of target.nodes) {
    const info = await node.info("commandstats");
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      const name = match[1] as string;
      totals.set(name, (totals.get(name) ?? 0) + Number(match[2]));
    }
  }
  return totals;
}

/** Commands run between two snapshots, ignoring the INFO calls that took them. */
export function callsBetween(
  before: Map<string, number>,
  after: Map<string, number>,
): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [name, calls] of after) {
    if (name === "info") continue;
    const diff = calls - (before.get(name) ?? 0);
    if (diff !== 0) delta.set(name, diff);
  }
  return delta;
}

// The shared test kit: unique keys and polling with a deadline (on the monotonic clock).
export { eventually as waitFor, uniqueKey } from "@syncguard/conformance";
