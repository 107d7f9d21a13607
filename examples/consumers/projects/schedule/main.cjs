// A CommonJS app that installed @syncguard/schedule with node-cron, croner and cron.
const core = require("@syncguard/core");
const memory = require("@syncguard/core/memory");
const schedule = require("@syncguard/schedule");
const { CronJob } = require("cron");
const { Cron } = require("croner");
const nodeCron = require("node-cron");
const { oncePerSlot } = require("./scenario.cjs");

oncePerSlot({
  schedule,
  core,
  memory,
  nodeCron,
  Cron,
  CronJob,
  format: "cjs",
  resolved: require.resolve("@syncguard/schedule"),
}).catch((error) => {
  console.error(error);
  process.exit(1);
});
