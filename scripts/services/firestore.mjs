// The Firestore emulator, started as the JVM itself (a wrapper script would leave java running
// when killed), on one loopback port.

import { existsSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { launchOnPort } from "./ports.mjs";
import {
  HOST,
  KEEP,
  killAndWait,
  makeTempDir,
  removeDir,
  spawnServer,
  stopPid,
  waitFor,
} from "./supervisor.mjs";

export const FIRESTORE_JAR =
  process.env.SYNCGUARD_FIRESTORE_JAR ||
  "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar";

function httpGet(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode, body }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** Starts the emulator JVM on `port` and waits until it answers; throws with the log tail. */
async function launchFirestore({ port, dir, logFile, timeoutMs }) {
  const main = "com.google.cloud.datastore.emulator.firestore.CloudFirestore";
  const args = [
    "-Duser.language=en",
    "-cp",
    FIRESTORE_JAR,
    main,
    "--host",
    HOST,
    "--port",
    String(port),
  ];
  const child = await spawnServer("firestore", "java", args, { cwd: dir, logFile });
  try {
    const ok = async () => {
      const r = await httpGet(`http://${HOST}:${port}/`, 1000);
      return r.status === 200 && r.body.trim() === "Ok";
    };
    await waitFor(`firestore emulator (port ${port})`, child, logFile, ok, timeoutMs);
    return child;
  } catch (e) {
    await stopPid(child.pid);
    throw e;
  }
}

/**
 * Starts the Firestore emulator on a free loopback port (or on `port`). Besides `stop()`, the
 * handle can crash the JVM (`kill()`: SIGKILL, waits until it is gone), send it a signal, and
 * `restart()` it on the same port (the emulator keeps data in memory only: a restart starts
 * empty); `pid` follows restarts.
 * @param {{ projectId?: string, timeoutMs?: number, port?: number }} [options]
 */
export async function startFirestore({
  projectId = "demo-syncguard",
  timeoutMs = 90000,
  port,
} = {}) {
  if (!existsSync(FIRESTORE_JAR)) {
    throw new Error(
      `Firestore emulator jar not found at ${FIRESTORE_JAR}.\n` +
        "It comes with the machine image (Debian package google-cloud-cli-firestore-emulator) and is\n" +
        "not installable from the reachable registries. Set SYNCGUARD_FIRESTORE_JAR to its path.",
    );
  }
  const dir = makeTempDir("firestore");
  const logFile = path.join(dir, "firestore.log");
  try {
    let chosen;
    let child = await launchOnPort({
      fixedPort: port,
      attempts: 3,
      inUse: /in use|BindException/i,
      launch: (p) => {
        chosen = p;
        return launchFirestore({ port: p, dir, logFile, timeoutMs });
      },
    });
    const handle = {
      host: `${HOST}:${chosen}`,
      port: chosen,
      projectId,
      pid: child.pid,
      dir,
      logFile,
      signal: (sig) => {
        child.kill(sig);
      },
      kill: () => killAndWait(child),
      restart: async () => {
        await killAndWait(child);
        child = await launchFirestore({ port: chosen, dir, logFile, timeoutMs });
        handle.pid = child.pid;
      },
      stop: async () => {
        await stopPid(child.pid);
        removeDir(dir);
      },
    };
    return handle;
  } catch (e) {
    if (!KEEP) removeDir(dir);
    throw e;
  }
}
