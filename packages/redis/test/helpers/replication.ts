import { createClient } from "redis";
import { type RedisProcess, startRedis } from "./process";
import { waitFor } from "./services";

/** A throwaway primary with `count` replicas attached and in sync, each on a free port. */
export interface ReplicatedRedis {
  primary: RedisProcess;
  replicas: RedisProcess[];
  url: string;
  replicaUrl(index?: number): string;
  stop(): Promise<void>;
}

/** How many replicas the primary at `port` sees online (INFO replication). */
export async function onlineReplicas(port: number): Promise<number> {
  const probe = createClient({ url: `redis://127.0.0.1:${port}` });
  probe.on("error", () => {});
  await probe.connect();
  try {
    const info = await probe.info("replication");
    return [...info.matchAll(/^slave\d+:.*state=online/gm)].length;
  } finally {
    probe.destroy();
  }
}

export async function startReplicated(
  count = 1,
  primaryArgs: string[] = [],
): Promise<ReplicatedRedis> {
  const primary = await startRedis(primaryArgs);
  const replicas: RedisProcess[] = [];
  try {
    for (let i = 0; i < count; i++) {
      replicas.push(await startRedis(["--replicaof", "127.0.0.1", String(primary.port)]));
    }
    await waitFor(async () => (await onlineReplicas(primary.port)) === count, 15_000);
  } catch (error) {
    await Promise.all([...replicas, primary].map((server) => server.stop()));
    throw error;
  }
  return {
    primary,
    replicas,
    url: `redis://127.0.0.1:${primary.port}`,
    replicaUrl: (index = 0) => `redis://127.0.0.1:${(replicas[index] as RedisProcess).port}`,
    stop: async () => {
      await Promise.all([...replicas, primary].map((server) => server.stop()));
    },
  };
}
