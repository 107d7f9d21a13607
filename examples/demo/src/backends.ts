import type { LockBackend } from "@syncguard/core";
import { createMemoryBackend } from "@syncguard/core/memory";

export type BackendName = "redis" | "firestore" | "postgres" | "memory";

export interface OpenBackend {
  backend: LockBackend;
  /** Where it runs, for the banner. */
  description: string;
  close(): Promise<void>;
}

/** Prefix per demo run, so reruns against a shared server never see old locks or fences. */
export function runNamespace(): string {
  return process.env.SYNCGUARD_DEMO_NAMESPACE ?? `demo-${Date.now().toString(36)}`;
}

/**
 * Opens a backend from the environment the parent set up (REDIS_URL, FIRESTORE_EMULATOR_HOST,
 * SYNCGUARD_POSTGRES_URL).
 */
export async function openBackend(name: BackendName, namespace: string): Promise<OpenBackend> {
  if (name === "memory") {
    return {
      backend: createMemoryBackend(),
      description: "in-process memory backend",
      close: async () => {},
    };
  }
  if (name === "redis") {
    const url = process.env.REDIS_URL;
    if (!url) throw new Error("REDIS_URL is not set");
    const { createClient } = await import("redis");
    const { createRedisBackend } = await import("@syncguard/redis");
    const client = createClient({ url });
    await client.connect();
    const backend = createRedisBackend(client, { keyPrefix: `syncguard-${namespace}` });
    return {
      backend,
      description: `Redis at ${url}`,
      close: async () => {
        await backend.close();
        client.destroy();
      },
    };
  }
  if (name === "postgres") return openPostgres(namespace);
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  if (!host) throw new Error("FIRESTORE_EMULATOR_HOST is not set");
  const { Firestore } = await import("@google-cloud/firestore");
  const { createFirestoreBackend } = await import("@syncguard/firestore");
  const db = new Firestore({ projectId: process.env.GCLOUD_PROJECT ?? "demo-syncguard" });
  const backend = createFirestoreBackend(db, {
    collection: `${namespace}_locks`,
    fenceCollection: `${namespace}_fence_counters`,
  });
  return {
    backend,
    description: `Firestore emulator at ${host}`,
    close: async () => {
      await backend.close();
      await db.terminate();
    },
  };
}

/** PostgreSQL: a schema per demo run (created here; setupSchema is safe from every worker at once). */
async function openPostgres(namespace: string): Promise<OpenBackend> {
  const url = process.env.SYNCGUARD_POSTGRES_URL;
  if (!url) throw new Error("SYNCGUARD_POSTGRES_URL is not set");
  const { Pool } = await import("pg");
  const { createPostgresBackend, setupSchema } = await import("@syncguard/postgres");
  const pool = new Pool({ connectionString: url, max: 4 });
  pool.on("error", () => {});
  const schema = namespace.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  await setupSchema(pool, { schema });
  const backend = createPostgresBackend(pool, { schema });
  return {
    backend,
    description: `PostgreSQL at ${new URL(url).host} (schema ${schema})`,
    close: async () => {
      await backend.close();
      await pool.end();
    },
  };
}
