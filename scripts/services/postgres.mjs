// A throwaway PostgreSQL cluster: `initdb` into a temp dir, then `postgres` itself (not pg_ctl, so
// the supervisor owns the server process) on one loopback port, unix socket in the same dir.
// initdb and postgres refuse to run as root: as root they run as the `postgres` system user
// (Debian's package creates it; else `nobody`), and the temp dir is handed to that user.

import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { launchOnPort } from "./ports.mjs";
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

const USER = "postgres";
// Random per run, so a test can tell if the password ever shows up in a message.
const PASSWORD = randomBytes(9).toString("hex");
const DATABASE = "postgres";

/**
 * Settings for a disposable test server: fast, and durable against a crash of the server process
 * (not of the machine): no fsync, but commits still reach the OS before they are acknowledged
 * (synchronous_commit stays on), so a SIGKILL never loses a committed fence.
 */
const FAST_SETTINGS = {
  fsync: "off",
  full_page_writes: "off",
  max_connections: "200",
  shared_buffers: "32MB",
  max_wal_size: "256MB",
  logging_collector: "off",
  log_min_messages: "warning",
};

/**
 * The directory holding initdb, postgres and pg_isready: SYNCGUARD_POSTGRES_BIN, else the newest
 * Debian /usr/lib/postgresql/<version>/bin, else the directory of `initdb` on PATH (resolved
 * through symlinks, so postgres and pg_isready are taken from the same installation).
 */
export function postgresBinDir() {
  const fromEnv = process.env.SYNCGUARD_POSTGRES_BIN;
  const complete = (dir) =>
    ["initdb", "postgres", "pg_isready"].every((b) => existsSync(path.join(dir, b)));
  if (fromEnv) {
    if (!complete(fromEnv)) {
      throw new Error(`SYNCGUARD_POSTGRES_BIN=${fromEnv} lacks initdb, postgres or pg_isready`);
    }
    return fromEnv;
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = path.join(debian, v, "bin");
      if (complete(dir)) return dir;
    }
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const initdb = path.join(dir, "initdb");
    if (!dir || !existsSync(initdb)) continue;
    const real = path.dirname(
      execFileSync("readlink", ["-f", initdb], { encoding: "utf8" }).trim(),
    );
    if (complete(real)) return real;
  }
  throw new Error(
    "PostgreSQL server binaries not found (initdb, postgres, pg_isready). Install them " +
      "(Debian/Ubuntu: apt-get install -y postgresql) or set SYNCGUARD_POSTGRES_BIN.",
  );
}

/** uid/gid to run the server as: null when not root, else a non-root system user. */
function serverUser() {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return null;
  const candidates = [process.env.SYNCGUARD_POSTGRES_OS_USER, "postgres", "nobody"].filter(Boolean);
  for (const name of candidates) {
    try {
      const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8" }).trim());
      if (uid !== 0) return { name, uid, gid };
    } catch {
      // no such user: try the next
    }
  }
  throw new Error(
    `running as root, and none of the users ${candidates.join(", ")} exists to run PostgreSQL ` +
      "(initdb and postgres refuse root); create one or set SYNCGUARD_POSTGRES_OS_USER",
  );
}

function pgIsReady(binDir, port, timeoutMs) {
  return new Promise((resolve) => {
    const args = ["-h", HOST, "-p", String(port), "-U", USER, "-d", DATABASE, "-t", "1"];
    execFile(path.join(binDir, "pg_isready"), args, { timeout: timeoutMs }, (error) =>
      resolve(!error),
    );
  });
}

/** Pids of the direct children of `pid` (Linux /proc; empty elsewhere). */
function childPids(pid) {
  const children = [];
  let entries = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/**
 * Sends a signal to the postmaster and every backend and auxiliary process. Each of those calls
 * setsid(), so a process-group signal would miss them.
 */
function signalGroup(child, sig) {
  for (const pid of [child.pid, ...childPids(child.pid)]) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  }
}

/**
 * Starts a PostgreSQL server on a free loopback port (or on `port`) with password auth over TCP
 * (user `postgres`, a random password, database `postgres`) and nothing durable. Besides
 * `stop()`, the handle can crash the server (`kill()`: SIGKILL to postmaster and backends),
 * freeze it (`signal("SIGSTOP")`, also to every backend), and `restart()` it on the same port and
 * data dir.
 * @param {{ timeoutMs?: number, port?: number }} [options]
 */
export async function startPostgres({ timeoutMs = 30000, port } = {}) {
  const binDir = postgresBinDir();
  const user = serverUser();
  const dir = makeTempDir("postgres");
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "postgres.log");
  const spawnOptions = {
    cwd: dir,
    env: { ...process.env, LC_ALL: "C", LANG: "C" },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  };
  try {
    const pwFile = path.join(dir, "pwfile");
    writeFileSync(pwFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (user) {
      chownSync(dir, user.uid, user.gid);
      chownSync(pwFile, user.uid, user.gid);
    }
    const initArgs = [
      ["-D", dataDir],
      ["-U", USER],
      ["--pwfile", pwFile],
      ["--auth-local", "trust"],
      ["--auth-host", "scram-sha-256"],
      ["--encoding", "UTF8"],
      ["--locale", "C"],
      ["--no-sync", "--no-instructions"],
    ].flat();
    const code = await runToLog(
      path.join(binDir, "initdb"),
      initArgs,
      logFile,
      timeoutMs,
      spawnOptions,
    );
    if (code !== 0) {
      throw new Error(`initdb failed (exit ${code}); log ${logFile}:\n${logTail(logFile)}`);
    }

    const launchOnce = async (chosen) => {
      const settings = {
        ...FAST_SETTINGS,
        port: String(chosen),
        listen_addresses: HOST,
        unix_socket_directories: dir,
      };
      const args = [
        "-D",
        dataDir,
        ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
      ];
      const child = await spawnServer("postgres", path.join(binDir, "postgres"), args, {
        cwd: dir,
        logFile,
        // its own session, like the backends it forks (kill() and signal() reach those by pid)
        spawnOptions: { ...spawnOptions, detached: true },
      });
      try {
        const ready = () => pgIsReady(binDir, chosen, 2000);
        await waitFor(`postgres (port ${chosen})`, child, logFile, ready, timeoutMs);
        return { port: chosen, child };
      } catch (e) {
        signalGroup(child, "SIGKILL");
        await stopPid(child.pid);
        throw e;
      }
    };
    const launch = (fixedPort) =>
      launchOnPort({
        fixedPort,
        attempts: 5,
        inUse: /already in use|could not bind/i,
        launch: launchOnce,
      });

    let server = await launch(port);
    const handle = {
      url: `postgres://${USER}:${PASSWORD}@${HOST}:${server.port}/${DATABASE}`,
      host: HOST,
      port: server.port,
      user: USER,
      password: PASSWORD,
      database: DATABASE,
      /** The unix socket directory (local connections there need no password). */
      socketDir: dir,
      pid: server.child.pid,
      dir,
      logFile,
      osUser: user?.name ?? null,
      signal: (sig) => signalGroup(server.child, sig),
      kill: async () => {
        signalGroup(server.child, "SIGKILL");
        await killAndWait(server.child);
      },
      restart: async () => {
        signalGroup(server.child, "SIGKILL");
        await killAndWait(server.child);
        server = await launch(handle.port);
        handle.pid = server.child.pid;
      },
      stop: async () => {
        // SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every client to disconnect);
        // SIGCONT first, in case the server was frozen.
        signalGroup(server.child, "SIGCONT");
        try {
          server.child.kill("SIGINT");
        } catch {
          // gone already
        }
        await stopPid(server.child.pid);
        signalGroup(server.child, "SIGKILL"); // any backend still around
        removeDir(dir);
      },
    };
    return handle;
  } catch (e) {
    if (!KEEP) removeDir(dir);
    throw e;
  }
}
