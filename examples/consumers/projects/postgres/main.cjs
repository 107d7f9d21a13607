// A CommonJS app that installed only `@syncguard/postgres` and `pg`.
const pg = require("pg");
const syncguard = require("@syncguard/postgres");
const { roundTrip, url } = require("./lock-round-trip.js");

const client = new pg.Pool({ connectionString: url, max: 4 });
roundTrip({
  client,
  end: () => client.end(),
  syncguard,
  format: "cjs",
  resolved: require.resolve("@syncguard/postgres"),
  // The shipped migration, through the package's exports.
  migration: require.resolve("@syncguard/postgres/migrations/004_permit_queue.sql"),
}).catch((error) => {
  console.error(error);
  process.exit(1);
});
