import {
  forceRelease,
  forceReleasePermit,
  getByKey,
  getSemaphore,
  LockError,
  listLocks,
  readFence,
} from "@syncguard/core";
import { monotonicClock, raceDeadline } from "@syncguard/core/driver";
import type { OperatorSession } from "@syncguard/core/operator";
import { createPostgresBackend } from "../backend";
import { loadPeer } from "./peer";
import type { PostgresSettings } from "./settings";

/** How long closing the pool may take before the tool moves on. */
const CLOSE_WAIT_MS = 1_000;

interface SqlConnection {
  readonly client: unknown;
  ping(): Promise<unknown>;
  close(): Promise<unknown>;
}

/**
 * A small pool (two connections), bounded connects, no LISTEN (a tool never waits for a lock).
 * One query proves the server answers before the backend is built.
 */
export async function openSession(settings: PostgresSettings): Promise<OperatorSession> {
  const connection = settings.library === "pg" ? pg(settings) : postgresJs(settings);
  const close = () =>
    raceDeadline(connection.close(), monotonicClock() + CLOSE_WAIT_MS).then(() => {});
  const ping = await raceDeadline(connection.ping(), monotonicClock() + settings.timeoutMs);
  if (ping.by !== "value") {
    await close();
    if (ping.by === "error") throw ping.error;
    throw new LockError("NetworkTimeout", `no answer within ${settings.timeoutMs} ms`);
  }
  let backend: ReturnType<typeof createPostgresBackend>;
  try {
    backend = createPostgresBackend(connection.client as never, {
      ...(settings.schema !== undefined ? { schema: settings.schema } : {}),
      ...(settings.tablePrefix !== undefined ? { tablePrefix: settings.tablePrefix } : {}),
      operationTimeoutMs: settings.timeoutMs,
      notify: false,
      logger: settings.logger,
    });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    backend,
    core: { getByKey, listLocks, readFence, forceRelease, getSemaphore, forceReleasePermit },
    async close() {
      await backend.close().catch(() => {});
      await close();
    },
  };
}

function pg({ url, timeoutMs }: PostgresSettings): SqlConnection {
  const { Pool } = loadPeer<typeof import("pg")>("pg");
  const pool = new Pool({ connectionString: url, max: 2, connectionTimeoutMillis: timeoutMs });
  pool.on("error", () => {}); // an idle client's broken connection: the next call reports it
  return { client: pool, ping: () => pool.query("SELECT 1"), close: () => pool.end() };
}

function postgresJs({ url, timeoutMs }: PostgresSettings): SqlConnection {
  const postgres = loadPeer<typeof import("postgres")>("postgres");
  const sql = postgres(url, {
    max: 2,
    connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    onnotice: () => {},
  });
  return { client: sql, ping: () => sql`SELECT 1`, close: () => sql.end({ timeout: 1 }) };
}
