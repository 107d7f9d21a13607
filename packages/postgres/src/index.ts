export { createPostgresBackend, createPostgresDriver, type PostgresBackend } from "./backend";
export { POSTGRES_CAPABILITIES, type PostgresCapabilities } from "./capabilities";
export type {
  PgClientLike,
  PgConnectionLike,
  PgNotificationLike,
  PgPoolClientLike,
  PgPoolLike,
  PgQueryable,
  PgQueryResultLike,
} from "./client";
export { POSTGRES_DEFAULTS, type PostgresBackendOptions } from "./config";
export { classifyPostgresError } from "./errors";
export { createLock, type PostgresLockOptions } from "./lock";
export { schemaSql, setupSchema } from "./schema";
