// Builds a backend from the JSON config of harness/backends.ts (BackendConfig), in a worker.
const { createLock } = require("@syncguard/core");

const ignore = () => {};

async function connectBackend(config) {
  switch (config.kind) {
    case "redis-single": {
      const { createClient } = require("redis");
      const { createRedisBackend } = require("@syncguard/redis");
      const client = createClient({ url: config.redisUrl });
      client.on("error", ignore); // reconnects are expected in fault scenarios
      await client.connect();
      const backend = createRedisBackend(client, { keyPrefix: config.keyPrefix });
      return { backend, lock: createLock(backend), close: () => client.destroy() };
    }
    case "redis-cluster": {
      const { createCluster } = require("redis");
      const { createRedisBackend } = require("@syncguard/redis");
      const cluster = createCluster({
        rootNodes: config.clusterNodes.map((node) => ({ url: `redis://${node}` })),
      });
      cluster.on("error", ignore);
      await cluster.connect();
      const backend = createRedisBackend(cluster, { keyPrefix: config.keyPrefix });
      return { backend, lock: createLock(backend), close: () => cluster.destroy() };
    }
    case "firestore": {
      process.env.FIRESTORE_EMULATOR_HOST = config.firestoreHost;
      process.env.METADATA_SERVER_DETECTION ??= "none";
      const { Firestore } = require("@google-cloud/firestore");
      const { createFirestoreBackend } = require("@syncguard/firestore");
      const db = new Firestore({ projectId: config.projectId });
      const backend = createFirestoreBackend(db, {
        collection: config.collection,
        fenceCollection: config.fenceCollection,
        ...(config.operationTimeoutMs ? { operationTimeoutMs: config.operationTimeoutMs } : {}),
      });
      return { backend, lock: createLock(backend), close: () => db.terminate() };
    }
    case "postgres": {
      const { Pool } = require("pg");
      const { createPostgresBackend } = require("@syncguard/postgres");
      const pool = new Pool({ connectionString: config.postgresUrl, max: 4 });
      pool.on("error", ignore);
      const backend = createPostgresBackend(pool, {
        ...(config.schema ? { schema: config.schema } : {}),
        ...(config.operationTimeoutMs ? { operationTimeoutMs: config.operationTimeoutMs } : {}),
      });
      return {
        backend,
        lock: createLock(backend),
        close: async () => {
          await backend.close();
          await pool.end();
        },
      };
    }
    default:
      throw new Error(`a worker cannot use backend ${config.kind}`);
  }
}

module.exports = { connectBackend };
