// A CommonJS app that installed only `@syncguard/postgres` and `pg`.
const pg = require("pg");
const syncguard = require("@syncguard/postgres");
const roundTrip = require("./lock-round-trip.js");

roundTrip({ pg, syncguard, format: "cjs", resolved: require.resolve("@syncguard/postgres") }).catch(
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
