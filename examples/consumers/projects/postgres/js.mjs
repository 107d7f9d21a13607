// An ES module app that installed only `@syncguard/postgres` and `postgres` (postgres.js).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as syncguard from "@syncguard/postgres";
import postgres from "postgres";

const require = createRequire(import.meta.url);
const { roundTrip, url } = require("./lock-round-trip.js");
const resolved = fileURLToPath(import.meta.resolve("@syncguard/postgres"));
// The shipped migration, through the package's exports.
const migration = fileURLToPath(
  import.meta.resolve("@syncguard/postgres/migrations/004_permit_queue.sql"),
);

const sql = postgres(url, { max: 4, onnotice: () => {} });
await roundTrip({
  client: sql,
  end: () => sql.end(),
  syncguard,
  format: "esm",
  resolved,
  migration,
});
