import { join } from "node:path";
import { runConformance } from "@syncguard/conformance";
import type { Pool } from "pg";
import { createPostgresBackend, type PostgresBackend, setupSchema } from "../src";
import { connectionPassword, freshSchema, newPool, postgresUrl } from "./helpers";

/** The shared conformance suite on a real PostgreSQL, including the multi-process race. */
const schema = freshSchema("conf");
let pool: Pool | undefined;
let backend: PostgresBackend | undefined;

runConformance({
  name: "postgres (pg)",
  // Every message and event of the run is checked for the connection\'s password.
  secrets: [connectionPassword()],
  capabilities: {
    subscribe: true,
    list: true,
    readFence: true,
    waitQueue: true,
    semaphore: true,
    semaphoreOperators: true,
  },
  createBackend: async () => {
    pool = newPool(20);
    await setupSchema(pool, { schema });
    backend = createPostgresBackend(pool, { schema });
    return backend;
  },
  // Another process's backend: its own local waiters on the same tables.
  createPeerBackend: () => createPostgresBackend(pool as Pool, { schema }),
  teardown: async () => {
    await backend?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
  },
  worker: {
    modulePath: join(__dirname, "fixtures", "conformance-worker.js"),
    env: { SYNCGUARD_POSTGRES_URL: postgresUrl(), SYNCGUARD_PG_SCHEMA: schema },
  },
  // 16 processes, as the issue asks, with few sections each: spawning dominates on 2 cores.
  race: { processes: 16, iterations: 10 },
});
