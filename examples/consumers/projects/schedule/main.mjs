// An ES module app that installed @syncguard/schedule with node-cron, croner and cron.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import * as core from "@syncguard/core";
import * as memory from "@syncguard/core/memory";
import * as schedule from "@syncguard/schedule";
import { CronJob } from "cron";
import { Cron } from "croner";
import nodeCron from "node-cron";

const { oncePerSlot } = createRequire(import.meta.url)("./scenario.cjs");
await oncePerSlot({
  schedule,
  core,
  memory,
  nodeCron,
  Cron,
  CronJob,
  format: "esm",
  resolved: fileURLToPath(import.meta.resolve("@syncguard/schedule")),
});
