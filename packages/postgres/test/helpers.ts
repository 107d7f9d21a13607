import { randomBytes } from "node:crypto";
import { Pool } from "pg";
import postgres from "postgres";
import { type PgClientLike, setupSchema } from "../src";

const HINT =
  "run `pnpm test` from the repo root, or `node scripts/services.mjs run --postgres -- pnpm --filter @syncguard/postgres test`";

export function postgresUrl(): string {
  const url = process.env.SYNCGUARD_POSTGRES_URL;
  if (!url) throw new Error(`SYNCGUARD_POSTGRES_URL is not set: ${HINT}`);
  return url;
}

/** A schema name no other test file (or run) uses. */
/** The password in the test server's URL (random per run): it must never show in a message. */
export function connectionPassword(): string {
  return decodeURIComponent(new URL(postgresUrl()).password);
}

export function freshSchema(label: string): string {
  return `sg_${label}_${randomBytes(5).toString("hex")}`;
}

export function newPool(max = 10): Pool {
  const pool = new Pool({ connectionString: postgresUrl(), max });
  pool.on("error", () => {}); // an idle client whose server went away: the next query reports it
  return pool;
}

/**
 * Registers beforeAll/afterAll for a test file: a pool and a fresh schema with the lock tables,
 * dropped at the end.
 */
export function useSchema(label: string, onReady: (pool: Pool, schema: string) => void): void {
  const schema = freshSchema(label);
  let pool: Pool | undefined;
  beforeAll(async () => {
    pool = newPool();
    await setupSchema(pool, { schema });
    onReady(pool, schema);
  });
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
  });
}

/** A client of either library, with how to end it. */
export interface ConnectedClient {
  client: PgClientLike;
  end: () => Promise<void>;
}

/** node-postgres (a Pool) and postgres.js, for tests that run on both. */
export const clientKinds: [string, (max?: number) => Promise<ConnectedClient>][] = [
  [
    "pg",
    async (max = 10) => {
      const created = newPool(max);
      return { client: created, end: () => created.end() };
    },
  ],
  [
    "postgres.js",
    async (max = 10) => {
      const sql = postgres(postgresUrl(), { max, onnotice: () => {} });
      return { client: sql, end: () => sql.end() };
    },
  ],
];

export { eventually as waitFor, uniqueKey } from "@syncguard/conformance";
