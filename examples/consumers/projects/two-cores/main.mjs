// One install, two module formats: the app imports @syncguard/core (its ESM build) and
// `require`s @syncguard/redis (CommonJS, which loads core's CommonJS build): two copies of
// core's module state and classes in one process. Prints one JSON line.
import { createRequire } from "node:module";
import * as core from "@syncguard/core";
import { createClient } from "redis";
import scenario from "./scenario.cjs";

const require = createRequire(import.meta.url);
const redis = require("@syncguard/redis");
const otherCore = require("@syncguard/core");
const url = process.env.REDIS_URL;
if (!url) throw new Error("REDIS_URL must be set");

const result = await scenario.runScenario({
  core,
  otherCore,
  redis,
  createClient,
  url,
  name: "esm-cjs",
});
console.log(
  JSON.stringify({
    ok: true,
    format: "esm-cjs",
    appCore: import.meta.resolve("@syncguard/core"),
    backendCore: require.resolve("@syncguard/core"),
    ...result,
  }),
);
