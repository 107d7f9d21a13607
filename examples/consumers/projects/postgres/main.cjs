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
}).catch((error) => {
  console.error(error);
  process.exit(1);
});
