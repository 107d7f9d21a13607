// redis-server on one loopback port, and a Redis Cluster of several. Probes use redis-cli (it is
// needed anyway, to create the cluster).

import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { freeClusterPort, launchOnPort, releaseClusterPort } from "./ports.mjs";
import {
  HOST,
  KEEP,
  killAndWait,
  logTail,
  makeTempDir,
  removeDir,
  runToLog,
  spawnServer,
  stopPid,
  waitFor,
} from "./supervisor.mjs";

/** One command through redis-cli; resolves its output (rejects on failure or timeout). */
export function redisCli(port, args, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    execFile(
      "redis-cli",
      ["-h", HOST, "-p", String(port), ...args],
      { timeout: timeoutMs },
      (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
    );
  });
}

/** Starts one redis-server in `dir` and waits for PONG; `extraArgs` add to the defaults. */
async function startRedisNode({ name, dir, port, extraArgs = [], timeoutMs = 20000 }) {
  const logFile = path.join(dir, "redis.log");
  const args = [
    ["--port", String(port)],
    ["--bind", HOST],
    ["--save", ""],
    ["--appendonly", "no"],
    ["--daemonize", "no"],
    ["--dir", dir],
    ["--logfile", ""],
    ["--enable-debug-command", "local"],
  ].flat();
  const child = await spawnServer(name, "redis-server", [...args, ...extraArgs], {
    cwd: dir,
    logFile,
  });
  try {
    const ping = async () => (await redisCli(port, ["PING"], 1000)) === "PONG";
    await waitFor(`${name} (port ${port})`, child, logFile, ping, timeoutMs);
    return { port, child, logFile };
  } catch (e) {
    await stopPid(child.pid);
    throw e;
  }
}

const PORT_IN_USE = /in use|bind/i;

/** redis-server arguments for AOF persistence that survives a SIGKILL (every write fsynced). */
const AOF_ARGS = ["--appendonly", "yes", "--appendfsync", "always"];

/**
 * Starts one redis-server on a free loopback port (or on `port`), with no persistence unless
 * `appendOnly` (AOF, fsync on every write). Besides `stop()`, the handle can crash the server
 * (`kill()`: SIGKILL, waits until it is gone), send it any signal (`signal("SIGSTOP")`), and
 * `restart()` it on the same port and data dir, so an AOF is replayed; `pid` follows restarts.
 * @param {{ timeoutMs?: number, port?: number, appendOnly?: boolean }} [options]
 */
export async function startRedis({ timeoutMs = 20000, port, appendOnly = false } = {}) {
  const dir = makeTempDir("redis");
  const launch = (fixedPort) =>
    launchOnPort({
      fixedPort,
      attempts: 5,
      inUse: PORT_IN_USE,
      launch: (chosen) =>
        startRedisNode({
          name: "redis",
          dir,
          port: chosen,
          extraArgs: appendOnly ? AOF_ARGS : [],
          timeoutMs,
        }),
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

/**
 * Starts a Redis Cluster of `masters` nodes (no replicas) on loopback ports in 30000-39999 (each
 * node's cluster bus is its port + 10000).
 * @returns {Promise<{ nodes: string[], ports: number[], pids: number[], dir: string, stop: () => Promise<void> }>}
 */
export async function startRedisCluster({ masters = 3, timeoutMs = 60000 } = {}) {
  if (masters < 3) throw new Error("a Redis Cluster needs at least 3 masters");
  const dir = makeTempDir("redis-cluster");
  const started = [];
  const stop = async () => {
    await Promise.all(started.map((n) => stopPid(n.child.pid)));
    for (const n of started) releaseClusterPort(n.port);
    removeDir(dir);
  };
  try {
    const nodes = await Promise.all(
      Array.from({ length: masters }, async (_, i) => {
        const nodeDir = path.join(dir, `node${i}`);
        mkdirSync(nodeDir);
        const node = await launchOnPort({
          pickPort: freeClusterPort,
          attempts: 5,
          inUse: PORT_IN_USE,
          launch: (port) =>
            startRedisNode({
              name: `redis-cluster node ${i}`,
              dir: nodeDir,
              port,
              extraArgs: [
                ["--cluster-enabled", "yes"],
                ["--cluster-config-file", path.join(nodeDir, "nodes.conf")],
                // generous: on 2 busy cores a short timeout can mark a master failed mid-test
                ["--cluster-node-timeout", "15000"],
              ].flat(),
              timeoutMs,
            }),
        });
        started.push(node);
        return node;
      }),
    );
    const addrs = nodes.map((n) => `${HOST}:${n.port}`);
    const createLog = path.join(dir, "cluster-create.log");
    const create = ["--cluster", "create", ...addrs, "--cluster-replicas", "0", "--cluster-yes"];
    const code = await runToLog("redis-cli", create, createLog, timeoutMs);
    if (code !== 0) {
      throw new Error(
        `redis-cli --cluster create failed (exit ${code}); log ${createLog}:\n${logTail(createLog)}`,
      );
    }
    const ready = (n) => async () => {
      const info = await redisCli(n.port, ["CLUSTER", "INFO"], 1000);
      const known = new RegExp(`cluster_known_nodes:${masters}\\b`);
      return /cluster_state:ok/.test(info) && known.test(info);
    };
    await Promise.all(
      nodes.map((n) =>
        waitFor(
          `redis-cluster node ${n.port} cluster_state:ok`,
          n.child,
          n.logFile,
          ready(n),
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
