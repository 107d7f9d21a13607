// The services CLI: `run [--redis] [--cluster] [--firestore] [--postgres] -- <command...>` and `start`.

import { spawn } from "node:child_process";
import { startServices } from "./all.mjs";
import { SIGNALS, setSignalHook } from "./supervisor.mjs";

const USAGE = `usage:
  node scripts/services.mjs run [--redis] [--cluster] [--firestore] [--postgres] -- <command...>
  node scripts/services.mjs start [--redis] [--cluster] [--firestore] [--postgres]
Starts the services (redis, cluster and firestore if none is named) on free loopback ports and
exports REDIS_URL, REDIS_CLUSTER_NODES, FIRESTORE_EMULATOR_HOST, GCLOUD_PROJECT,
SYNCGUARD_POSTGRES_URL, METADATA_SERVER_DETECTION (each for the services started).
'run' runs the command with them and exits with its code; 'start' prints them and waits for Ctrl-C.`;

function parseServiceFlags(flags) {
  const which = { redis: false, cluster: false, firestore: false, postgres: false };
  for (const f of flags) {
    const k = f.replace(/^--/, "");
    if (!(k in which)) throw new Error(`unknown option ${f}\n${USAGE}`);
    which[k] = true;
  }
  if (!which.redis && !which.cluster && !which.firestore && !which.postgres) {
    which.redis = which.cluster = which.firestore = true;
  }
  return which;
}

function log(msg) {
  process.stderr.write(`[services] ${msg}\n`);
}

async function cli(argv) {
  const [mode, ...rest] = argv;
  if (mode !== "run" && mode !== "start") {
    process.stderr.write(`${USAGE}\n`);
    return mode === "--help" || mode === "-h" ? 0 : 2;
  }
  const dd = rest.indexOf("--");
  const flags = dd >= 0 ? rest.slice(0, dd) : rest;
  const command = dd >= 0 ? rest.slice(dd + 1) : [];
  if (mode === "run" && command.length === 0) {
    process.stderr.write(`missing command after --\n${USAGE}\n`);
    return 2;
  }
  const which = parseServiceFlags(flags);

  let svc;
  try {
    svc = await startServices(which);
  } catch (e) {
    log(`startup failed:\n${e.message}`);
    return 1;
  }
  const t = svc.timings;
  log(
    `ready in ${t.total} ms: ` +
      Object.entries(svc.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ") +
      ` (${["redis", "cluster", "firestore", "postgres"]
        .filter((k) => t[k] !== undefined)
        .map((k) => `${k} ${t[k]} ms`)
        .join(", ")})`,
  );

  if (mode === "start") {
    for (const [k, v] of Object.entries(svc.env)) process.stdout.write(`export ${k}=${v}\n`);
    log("running; press Ctrl-C to stop");
    await new Promise(() => {}); // the signal handler stops everything and exits
  }

  const child = spawn(command[0], command.slice(1), {
    stdio: "inherit",
    env: { ...process.env, ...svc.env },
  });
  // Forward termination signals to the command and let it finish; our services stop after it.
  setSignalHook((sig) => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(sig);
      } catch {
        // ignore
      }
      return true;
    }
    return false;
  });
  const code = await new Promise((resolve) => {
    child.once("error", (e) => {
      log(`cannot run ${command[0]}: ${e.message}`);
      resolve(127);
    });
    child.once("exit", (c, s) => resolve(c ?? 128 + (SIGNALS[s] ?? 1)));
  });
  const ts = Date.now();
  await svc.stop();
  log(`stopped in ${Date.now() - ts} ms`);
  return code;
}

/** Runs the CLI and exits with its code. */
export function main(argv) {
  cli(argv).then(
    (code) => process.exit(code),
    (e) => {
      log(e.stack ?? String(e));
      process.exit(1);
    },
  );
}
