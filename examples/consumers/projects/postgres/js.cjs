// A CommonJS app that installed only `@syncguard/postgres` and `postgres` (postgres.js).
const postgres = require("postgres");
const syncguard = require("@syncguard/postgres");
const { roundTrip, url } = require("./lock-round-trip.js");

const sql = postgres(url, { max: 4, onnotice: () => {} });
roundTrip({
  client: sql,
  end: () => sql.end(),
  syncguard,
  format: "cjs",
  resolved: require.resolve("@syncguard/postgres"),
  // The shipped migration, through the package's exports.
  migration: require.resolve("@syncguard/postgres/migrations/004_permit_queue.sql"),
}).catch((error) => {
  console.error(error);
  process.exit(1);
});
