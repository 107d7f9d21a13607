export { createPostgresBackend, type PostgresBackend } from "./backend";
export type { PostgresCapabilities } from "./capabilities";
export type {
  PgClientLike,
  PgConnectionLike,
  PgListenClientLike,
  PgNotificationLike,
  PgPoolClientLike,
  PgPoolLike,
  PgQueryable,
  PgQueryConfigLike,
  PgQueryResultLike,
  PostgresJsLike,
  PostgresJsQueryLike,
} from "./client";
export type { PostgresBackendOptions } from "./config";
export { createLock, type PostgresLockOptions } from "./lock";
export { schemaSql } from "./schema";
export { setupSchema } from "./setup";
