export { type FirestoreMigrationReport, migrateFrom2x } from "./migrate";
export type { FirestoreMigrationOptions } from "./options";
