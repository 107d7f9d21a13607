// The process supervisor of the test services: every server this process starts is registered,
// and killed (its temp dir removed) on stop, on stopAll(), at exit, on uncaught errors and on
// SIGINT/SIGTERM/SIGHUP. A `kill -9` of this process cannot be caught: then the servers stay.

import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const HOST = "127.0.0.1";
/** SYNCGUARD_SERVICES_KEEP=1 keeps the temp dirs (and their logs) after stop. */
export const KEEP = process.env.SYNCGUARD_SERVICES_KEEP === "1";
export const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

/** @type {Map<number, { child: import("node:child_process").ChildProcess, name: string }>} */
const procs = new Map();
const dirs = new Set();
let handlersInstalled = false;
let shuttingDown = false;
/** Optional hook used by the CLI: gets the signal first; return true to take over the shutdown. */
let signalHook = null;

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

/** Lets the CLI forward a termination signal to its command first. */
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

export function stopPid(pid, graceMs = 5000) {
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

/** SIGKILL (also ends a SIGSTOPped process) and resolve once the process is gone. */
export function killAndWait(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

export function makeTempDir(prefix) {
  const d = mkdtempSync(path.join(os.tmpdir(), `syncguard-${prefix}-`));
  dirs.add(d);
  return d;
}

export function removeDir(d) {
  if (KEEP) return;
  rmSync(d, { recursive: true, force: true });
  dirs.delete(d);
}

/**
 * Spawns a long-running server with stdout/stderr to logFile and registers it for cleanup.
 * `spawnOptions` pass on to spawn (uid/gid for a server that refuses root, env, detached).
 * Resolves to the ChildProcess once spawned (rejects on ENOENT etc.).
 */
export function spawnServer(name, cmd, args, { cwd, logFile, spawnOptions = {} }) {
  installHandlers();
  const fd = openSync(logFile, "a");
  let child;
  try {
    child = spawn(cmd, args, { ...spawnOptions, cwd, stdio: ["ignore", fd, fd] });
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

/**
 * Runs a short command to completion with its output appended to logFile; resolves its code.
 * `spawnOptions` pass on to spawn (cwd, uid/gid, env).
 */
export function runToLog(cmd, args, logFile, timeoutMs, spawnOptions = {}) {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, "a");
    let child;
    try {
      child = spawn(cmd, args, { ...spawnOptions, stdio: ["ignore", fd, fd] });
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
 * Throws an Error with the log tail on failure (`exitedEarly` and `log` set when the child died).
 */
export async function waitFor(name, child, logFile, probe, timeoutMs) {
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
