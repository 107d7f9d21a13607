#!/usr/bin/env node
// The README's first command (`npm run demo`): makes sure pnpm and the dependencies are there,
// builds the demo and the packages it uses, then runs it. Arguments go to the demo:
//   npm run demo -- --backend redis|firestore|postgres|memory --workers N --jobs N
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensurePnpm } from "./ensure-tools.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const pnpm = ensurePnpm();
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", METADATA_SERVER_DETECTION: "none" };
run(pnpm.cmd, [...pnpm.prefix, "install", "--frozen-lockfile"], env);
run(
  pnpm.cmd,
  [
    ...pnpm.prefix,
    "turbo",
    "run",
    "build",
    "--filter=syncguard-demo...",
    "--output-logs=errors-only",
  ],
  env,
);
run(
  process.execPath,
  [path.join(ROOT, "examples/demo/dist/main.js"), ...process.argv.slice(2)],
  env,
);
