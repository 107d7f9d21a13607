export type { IoredisMigrationClient, IoredisMigrationScanner } from "./ioredis";
export { migrateFrom2x, type RedisMigrationReport } from "./migrate";
export type {
  MigrationClient,
  MigrationClusterClient,
  MigrationScanner,
  MigrationScriptClient,
  MigrationStandaloneClient,
} from "./node-redis";
export type { RedisMigrationOptions } from "./options";
export type { SkippedKey } from "./plan";
