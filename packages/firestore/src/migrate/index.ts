export { type FirestoreMigrationReport, migrateFrom2x } from "./migrate";
export type { FirestoreMigrationOptions } from "./options";
export type { UnraisedCounter } from "./raise";
export type { SkippedDocument } from "./scan";
