// An ES module app that installed only `@syncguard/postgres` and `pg`.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as syncguard from "@syncguard/postgres";
import pg from "pg";

const require = createRequire(import.meta.url);
const roundTrip = require("./lock-round-trip.js");
const resolved = fileURLToPath(import.meta.resolve("@syncguard/postgres"));

await roundTrip({ pg, syncguard, format: "esm", resolved });
