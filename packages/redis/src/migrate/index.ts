export { migrateFrom2x, type RedisMigrationReport } from "./migrate";
export type {
  MigrationClient,
  MigrationClusterClient,
  MigrationStandaloneClient,
} from "./node-redis";
export type { RedisMigrationOptions } from "./options";
