// Starting several services at once, and the environment that tells tests where they are.

import { startFirestore } from "./firestore.mjs";
import { startPostgres } from "./postgres.mjs";
import { startRedis, startRedisCluster } from "./redis.mjs";

/**
 * Starts the requested services in parallel. If one fails, the others are stopped. PostgreSQL
 * starts only when asked for (`postgres: true`).
 * @param {{ redis?: boolean, cluster?: boolean, firestore?: boolean, postgres?: boolean, projectId?: string }} which
 * @returns {Promise<{ redis?: object, cluster?: object, firestore?: object, postgres?: object, env: Record<string,string>, timings: Record<string, number>, stop: () => Promise<void> }>}
 */
export async function startServices({
  redis = true,
  cluster = true,
  firestore = true,
  postgres = false,
  projectId,
} = {}) {
  const t0 = Date.now();
  const timings = {};
  const timed = (name, p) =>
    p.then((v) => {
      timings[name] = Date.now() - t0;
      return v;
    });
  const jobs = {
    redis: redis ? timed("redis", startRedis()) : null,
    cluster: cluster ? timed("cluster", startRedisCluster()) : null,
    firestore: firestore ? timed("firestore", startFirestore({ projectId })) : null,
    postgres: postgres ? timed("postgres", startPostgres()) : null,
  };
  const names = Object.keys(jobs).filter((k) => jobs[k]);
  const results = await Promise.allSettled(names.map((k) => jobs[k]));
  const out = {};
  const errors = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") out[names[i]] = r.value;
    else errors.push(r.reason);
  });
  const stop = () => Promise.all(Object.values(out).map((s) => s.stop())).then(() => undefined);
  if (errors.length) {
    await stop();
    const err = new Error(errors.map((e) => e.message).join("\n\n"));
    throw err;
  }
  const env = { METADATA_SERVER_DETECTION: "none" };
  if (out.redis) env.REDIS_URL = out.redis.url;
  if (out.cluster) env.REDIS_CLUSTER_NODES = out.cluster.nodes.join(",");
  if (out.firestore) {
    env.FIRESTORE_EMULATOR_HOST = out.firestore.host;
    env.GCLOUD_PROJECT = out.firestore.projectId;
  }
  if (out.postgres) env.SYNCGUARD_POSTGRES_URL = out.postgres.url;
  timings.total = Date.now() - t0;
  return { ...out, env, timings, stop };
}
