// An app that pins @syncguard/core 0.2.0 while @syncguard/redis brings its own nested 0.1.0:
// two copies of core in one process. Prints one JSON line.
const { dirname } = require("node:path");
const core = require("@syncguard/core");
const redis = require("@syncguard/redis");
const { createClient } = require("redis");
const { runScenario } = require("./scenario.cjs");

const url = process.env.REDIS_URL;
if (!url) throw new Error("REDIS_URL must be set");
// The copy the backend loads: resolved from the backend's own directory.
const otherPath = require.resolve("@syncguard/core", {
  paths: [dirname(require.resolve("@syncguard/redis"))],
});
const otherCore = require(otherPath);

runScenario({ core, otherCore, redis, createClient, url, name: "nested" }).then(
  (result) => {
    const versions = [
      require("@syncguard/core/package.json").version,
      require(otherPath.replace(/dist\/index\.js$/, "package.json")).version,
    ];
    const appCore = require.resolve("@syncguard/core");
    console.log(
      JSON.stringify({
        ok: true,
        format: "two-copies",
        appCore,
        backendCore: otherPath,
        versions,
        ...result,
      }),
    );
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
