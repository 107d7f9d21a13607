#!/usr/bin/env node
// Local test services for SyncGuard: redis-server (single node), a 3-master Redis Cluster and the
// Firestore emulator, each on free loopback ports, each in its own temp dir, all killed when this
// process exits. Node built-ins only.
//
// Module:
//   import { startRedis, startRedisCluster, startFirestore, stopAll } from "./services.mjs";
//   const r = await startRedis();           // { url, host, port, pid, dir, logFile, stop() }
//   const c = await startRedisCluster();    // { nodes: ["127.0.0.1:p", ...], ports, stop() }
//   const f = await startFirestore();       // { host: "127.0.0.1:p", projectId, stop() }
//   Fault injection: startRedis({ appendOnly: true, port }), startFirestore({ port }); both
//   handles also have kill() (SIGKILL), restart() (same port and dir) and signal("SIGSTOP").
//
// CLI:
//   node scripts/services.mjs run [--redis] [--cluster] [--firestore] -- <command...>
//   node scripts/services.mjs start [--redis] [--cluster] [--firestore]   (prints env, Ctrl-C stops)
//
// Env: SYNCGUARD_SERVICES_KEEP=1 keeps the temp dirs (logs) after stop;
//      SYNCGUARD_FIRESTORE_JAR overrides the emulator jar path.

import { spawn } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const FIRESTORE_JAR =
  process.env.SYNCGUARD_FIRESTORE_JAR ||
  "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud-firestore-emulator.jar";

const HOST = "127.0.0.1";
const KEEP = process.env.SYNCGUARD_SERVICES_KEEP === "1";

// ---------------------------------------------------------------------------------------------
// Process registry and cleanup

/** @type {Map<number, { child: import("node:child_process").ChildProcess, name: string }>} */
const procs = new Map();
/** temp dirs to remove at exit */
const dirs = new Set();
let handlersInstalled = false;
let shuttingDown = false;
/** Optional hook used by the CLI: gets the signal first; return true to take over the shutdown. */
let signalHook = null;

const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

function killAllSync() {
  for (const { child } of procs.values()) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  procs.clear();
  if (!KEEP) {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs.clear();
  }
}

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  // 'exit' also fires after an uncaught exception or unhandled rejection.
  process.on("exit", killAllSync);
  for (const sig of Object.keys(SIGNALS)) {
    process.on(sig, () => {
      if (signalHook?.(sig)) return;
      if (shuttingDown) {
        killAllSync();
        process.exit(128 + SIGNALS[sig]);
      }
      shuttingDown = true;
      const force = setTimeout(() => process.exit(128 + SIGNALS[sig]), 5000);
      force.unref();
      stopAll().finally(() => process.exit(128 + SIGNALS[sig]));
    });
  }
}

/** Test hook for the CLI. */
export function setSignalHook(fn) {
  installHandlers();
  signalHook = fn;
}

/** Stops every service this process started (SIGTERM, then SIGKILL after a grace period). */
export async function stopAll() {
  await Promise.all([...procs.keys()].map((pid) => stopPid(pid)));
  if (!KEEP) {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs.clear();
  }
}

function stopPid(pid, graceMs = 5000) {
  const entry = procs.get(pid);
  if (!entry) return Promise.resolve();
  const { child } = entry;
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      procs.delete(pid);
      resolve();
    };
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once("exit", done);
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        done();
      }
    }, graceMs);
    try {
      child.kill("SIGCONT"); // a stopped (SIGSTOP) process would not act on SIGTERM
      child.kill("SIGTERM");
    } catch {
      done();
    }
  });
}

function makeTempDir(prefix) {
  const d = mkdtempSync(path.join(os.tmpdir(), `syncguard-${prefix}-`));
  dirs.add(d);
  return d;
}

function removeDir(d) {
  if (KEEP) return;
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/**
 * Spawns a long-running server with stdout/stderr to logFile and registers it for cleanup.
 * Resolves to the ChildProcess once spawned (rejects on ENOENT etc.).
 */
function spawnServer(name, cmd, args, { cwd, logFile }) {
  installHandlers();
  const fd = openSync(logFile, "a");
  let child;
  try {
    child = spawn(cmd, args, { cwd, stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
  return new Promise((resolve, reject) => {
    child.once("error", (err) => {
      reject(new Error(`${name}: cannot start ${cmd}: ${err.message}`));
    });
    child.once("spawn", () => {
      procs.set(child.pid, { child, name });
      child.once("exit", () => procs.delete(child.pid));
      resolve(child);
    });
  });
}

export function logTail(file, lines = 30) {
  try {
    const text = readFileSync(file, "utf8").trimEnd().split("\n");
    return text.slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns truthy, the child exits, or the deadline passes.
 * Throws an Error with the log tail on failure.
 */
async function waitFor(name, child, logFile, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  let lastErr;
  while (Date.now() < deadline) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      const err = new Error(
        `${name} exited early (code ${child.exitCode}, signal ${child.signalCode}); log ${logFile}:\n${logTail(logFile)}`,
      );
      err.exitedEarly = true;
      err.log = logTail(logFile, 200);
      throw err;
    }
    try {
      if (await probe()) return;
    } catch (e) {
      lastErr = e;
    }
    await sleep(delay);
    delay = Math.min(delay * 1.5, 250);
  }
  throw new Error(
    `${name} not ready after ${timeoutMs} ms (${lastErr?.message ?? "probe never succeeded"}); log ${logFile}:\n${logTail(logFile)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Ports

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, HOST, () => s.close(() => resolve(true)));
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, HOST, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const reservedClusterPorts = new Set();

/** A port in 30000-39999 such that port and port+10000 (cluster bus, P1) are both free. */
export async function freeClusterPort() {
  for (let i = 0; i < 200; i++) {
    const p = 30000 + Math.floor(Math.random() * 10000);
    if (reservedClusterPorts.has(p)) continue;
    if ((await portFree(p)) && (await portFree(p + 10000))) {
      reservedClusterPorts.add(p);
      return p;
    }
  }
  throw new Error("no free port pair (p, p+10000) found in 30000-39999");
}

// ---------------------------------------------------------------------------------------------
// Minimal RESP client (one command per connection), enough for PING / CLUSTER INFO

function encodeCommand(args) {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`;
  return out;
}

function parseReply(buf) {
  const eol = buf.indexOf("\r\n");
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[0]);
  const line = buf.subarray(1, eol).toString("utf8");
  if (type === "+" || type === ":") return line;
  if (type === "-") return new Error(line);
  if (type === "$") {
    const n = Number(line);
    if (n < 0) return null;
    if (buf.length < eol + 2 + n + 2) return undefined;
    return buf.subarray(eol + 2, eol + 2 + n).toString("utf8");
  }
  return new Error(`unsupported reply type ${type}`);
}

/** Sends one command to 127.0.0.1:port and resolves to the reply (string/null), rejects on -ERR. */
export function redisCommand(port, args, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    const sock = net.connect({ host: HOST, port });
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      err ? reject(err) : resolve(value);
    };
    const timer = setTimeout(() => finish(new Error("timeout")), timeoutMs);
    sock.on("connect", () => sock.write(encodeCommand(args)));
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parseReply(buf);
      if (r === undefined) return;
      r instanceof Error ? finish(r) : finish(null, r);
    });
    sock.on("error", (e) => finish(e));
    sock.on("close", () => finish(new Error("connection closed")));
  });
}

// ---------------------------------------------------------------------------------------------
// Redis

async function startRedisNode({
  name,
  dir,
  portFn,
  extraArgs = [],
  timeoutMs = 20000,
  fixedPort = false,
}) {
  const logFile = path.join(dir, "redis.log");
  let lastErr;
  for (let attempt = 0; attempt < (fixedPort ? 1 : 5); attempt++) {
    const port = await portFn();
    const args = [
      "--port",
      String(port),
      "--bind",
      HOST,
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--dir",
      dir,
      "--logfile",
      "",
      "--enable-debug-command",
      "local",
      ...extraArgs,
    ];
    const child = await spawnServer(name, "redis-server", args, { cwd: dir, logFile });
    try {
      await waitFor(
        `${name} (port ${port})`,
        child,
        logFile,
        async () => (await redisCommand(port, ["PING"], 1000)) === "PONG",
        timeoutMs,
      );
      return { port, child, logFile };
    } catch (e) {
      lastErr = e;
      await stopPid(child.pid);
      // Port grabbed by someone else between the check and the bind: retry on a new port.
      if (e.exitedEarly && /in use|bind/i.test(e.log ?? "")) continue;
      throw e;
    }
  }
  throw lastErr;
}

/** redis-server arguments for AOF persistence that survives a SIGKILL (every write fsynced). */
const AOF_ARGS = ["--appendonly", "yes", "--appendfsync", "always"];

/**
 * Starts one redis-server on a free loopback port (or on `port`), with no persistence unless
 * `appendOnly` (AOF, fsync on every write). Besides `stop()`, the handle can crash the server
 * (`kill()`: SIGKILL, waits until it is gone), send it any signal (`signal("SIGSTOP")`), and
 * `restart()` it on the same port and data dir, so an AOF is replayed; `pid` follows restarts.
 * @param {{ timeoutMs?: number, port?: number, appendOnly?: boolean }} [options]
 * @returns {Promise<{ url: string, host: string, port: number, pid: number, dir: string, logFile: string, appendOnly: boolean, signal: (sig: NodeJS.Signals) => void, kill: () => Promise<void>, restart: () => Promise<void>, stop: () => Promise<void> }>}
 */
export async function startRedis({ timeoutMs = 20000, port, appendOnly = false } = {}) {
  const dir = makeTempDir("redis");
  const extraArgs = appendOnly ? AOF_ARGS : [];
  const launch = (fixedPort) =>
    startRedisNode({
      name: "redis",
      dir,
      portFn: fixedPort === undefined ? freePort : async () => fixedPort,
      fixedPort: fixedPort !== undefined,
      extraArgs,
      timeoutMs,
    });
  try {
    let node = await launch(port);
    const handle = {
      url: `redis://${HOST}:${node.port}`,
      host: HOST,
      port: node.port,
      pid: node.child.pid,
      dir,
      logFile: node.logFile,
      appendOnly,
      signal: (sig) => {
        node.child.kill(sig);
      },
      kill: () => killAndWait(node.child),
      restart: async () => {
        await killAndWait(node.child);
        node = await launch(handle.port);
        handle.pid = node.child.pid;
      },
      stop: async () => {
        await stopPid(node.child.pid);
        removeDir(dir);
      },
    };
    return handle;
  } catch (e) {
    if (!KEEP) removeDir(dir);
    throw e;
  }
}

/** SIGKILL (also ends a SIGSTOPped process) and resolve once the process is gone. */
function killAndWait(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

function runToLog(cmd, args, logFile, timeoutMs) {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, "a");
    let child;
    try {
      child = spawn(cmd, args, { stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/**
 * Starts a Redis Cluster of `masters` nodes (no replicas) on loopback ports in 30000-39999.
 * @returns {Promise<{ nodes: string[], ports: number[], pids: number[], dir: string, stop: () => Promise<void> }>}
 */
export async function startRedisCluster({ masters = 3, timeoutMs = 60000 } = {}) {
  if (masters < 3) throw new Error("a Redis Cluster needs at least 3 masters");
  const dir = makeTempDir("redis-cluster");
  const started = [];
  const stop = async () => {
    await Promise.all(started.map((n) => stopPid(n.child.pid)));
    for (const n of started) reservedClusterPorts.delete(n.port);
    removeDir(dir);
  };
  try {
    const nodes = await Promise.all(
      Array.from({ length: masters }, async (_, i) => {
        const nodeDir = path.join(dir, `node${i}`);
        mkdirSync(nodeDir);
        const n = await startRedisNode({
          name: `redis-cluster node ${i}`,
          dir: nodeDir,
          portFn: freeClusterPort,
          extraArgs: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            path.join(nodeDir, "nodes.conf"),
            // generous: on 2 busy cores a short timeout can mark a master as failed mid-test
            "--cluster-node-timeout",
            "15000",
          ],
          timeoutMs,
        });
        started.push(n);
        return n;
      }),
    );
    const addrs = nodes.map((n) => `${HOST}:${n.port}`);
    const createLog = path.join(dir, "cluster-create.log");
    const code = await runToLog(
      "redis-cli",
      ["--cluster", "create", ...addrs, "--cluster-replicas", "0", "--cluster-yes"],
      createLog,
      timeoutMs,
    );
    if (code !== 0) {
      throw new Error(
        `redis-cli --cluster create failed (exit ${code}); log ${createLog}:\n${logTail(createLog)}`,
      );
    }
    await Promise.all(
      nodes.map((n) =>
        waitFor(
          `redis-cluster node ${n.port} cluster_state:ok`,
          n.child,
          n.logFile,
          async () => {
            const info = await redisCommand(n.port, ["CLUSTER", "INFO"], 1000);
            return (
              /cluster_state:ok/.test(info) &&
              new RegExp(`cluster_known_nodes:${masters}\\b`).test(info)
            );
          },
          timeoutMs,
        ),
      ),
    );
    return {
      nodes: addrs,
      ports: nodes.map((n) => n.port),
      pids: nodes.map((n) => n.child.pid),
      dir,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Firestore emulator

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
  const child = await spawnServer(
    "firestore",
    "java",
    [
      "-Duser.language=en",
      "-cp",
      FIRESTORE_JAR,
      "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
      "--host",
      HOST,
      "--port",
      String(port),
    ],
    { cwd: dir, logFile },
  );
  try {
    await waitFor(
      `firestore emulator (port ${port})`,
      child,
      logFile,
      async () => {
        const r = await httpGet(`http://${HOST}:${port}/`, 1000);
        return r.status === 200 && r.body.trim() === "Ok";
      },
      timeoutMs,
    );
    return child;
  } catch (e) {
    await stopPid(child.pid);
    throw e;
  }
}

/**
 * Starts the Firestore emulator (java, directly: P4) on a free loopback port (or on `port`).
 * Besides `stop()`, the handle can crash the JVM (`kill()`: SIGKILL, waits until it is gone),
 * send it a signal, and `restart()` it on the same port (the emulator keeps data in memory only:
 * a restart starts empty); `pid` follows restarts.
 * @param {{ projectId?: string, timeoutMs?: number, port?: number }} [options]
 * @returns {Promise<{ host: string, port: number, projectId: string, pid: number, dir: string, logFile: string, signal: (sig: NodeJS.Signals) => void, kill: () => Promise<void>, restart: () => Promise<void>, stop: () => Promise<void> }>}
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
  let lastErr;
  try {
    for (let attempt = 0; attempt < (port === undefined ? 3 : 1); attempt++) {
      const chosen = port ?? (await freePort());
      let child;
      try {
        child = await launchFirestore({ port: chosen, dir, logFile, timeoutMs });
      } catch (e) {
        lastErr = e;
        if (port === undefined && e.exitedEarly && /in use|BindException/i.test(e.log ?? "")) {
          continue;
        }
        throw e;
      }
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
    }
    throw lastErr;
  } catch (e) {
    if (!KEEP) removeDir(dir);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Start several at once

/**
 * Starts the requested services in parallel. If one fails, the others are stopped.
 * @param {{ redis?: boolean, cluster?: boolean, firestore?: boolean, projectId?: string }} which
 * @returns {Promise<{ redis?: object, cluster?: object, firestore?: object, env: Record<string,string>, timings: Record<string, number>, stop: () => Promise<void> }>}
 */
export async function startServices({
  redis = true,
  cluster = true,
  firestore = true,
  projectId,
} = {}) {
  const t0 = Date.now();
  const timings = {};
  const timed = (name, p) =>
    p.then((v) => {
      timings[name] = Date.now() - t0;
      return v;
    });
  const jobs = {
    redis: redis ? timed("redis", startRedis()) : null,
    cluster: cluster ? timed("cluster", startRedisCluster()) : null,
    firestore: firestore ? timed("firestore", startFirestore({ projectId })) : null,
  };
  const names = Object.keys(jobs).filter((k) => jobs[k]);
  const results = await Promise.allSettled(names.map((k) => jobs[k]));
  const out = {};
  const errors = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") out[names[i]] = r.value;
    else errors.push(r.reason);
  });
  const stop = () => Promise.all(Object.values(out).map((s) => s.stop())).then(() => undefined);
  if (errors.length) {
    await stop();
    const err = new Error(errors.map((e) => e.message).join("\n\n"));
    throw err;
  }
  const env = { METADATA_SERVER_DETECTION: "none" };
  if (out.redis) env.REDIS_URL = out.redis.url;
  if (out.cluster) env.REDIS_CLUSTER_NODES = out.cluster.nodes.join(",");
  if (out.firestore) {
    env.FIRESTORE_EMULATOR_HOST = out.firestore.host;
    env.GCLOUD_PROJECT = out.firestore.projectId;
  }
  timings.total = Date.now() - t0;
  return { ...out, env, timings, stop };
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `usage:
  node scripts/services.mjs run [--redis] [--cluster] [--firestore] -- <command...>
  node scripts/services.mjs start [--redis] [--cluster] [--firestore]
Starts the services (all three if none is named) on free loopback ports and exports
REDIS_URL, REDIS_CLUSTER_NODES, FIRESTORE_EMULATOR_HOST, GCLOUD_PROJECT, METADATA_SERVER_DETECTION.
'run' runs the command with them and exits with its code; 'start' prints them and waits for Ctrl-C.`;

function parseServiceFlags(flags) {
  const which = { redis: false, cluster: false, firestore: false };
  for (const f of flags) {
    const k = f.replace(/^--/, "");
    if (!(k in which)) throw new Error(`unknown option ${f}\n${USAGE}`);
    which[k] = true;
  }
  if (!which.redis && !which.cluster && !which.firestore) {
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
      ` (${["redis", "cluster", "firestore"]
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

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      log(e.stack ?? String(e));
      process.exit(1);
    },
  );
}
