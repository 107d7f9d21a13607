#!/usr/bin/env node
// Makes sure the tools the test run needs are there: pnpm (pinned), redis-server/redis-cli,
// PostgreSQL's server binaries, java and the Firestore emulator jar. Node built-ins only. Used by scripts/test-all.mjs; also a CLI:
//   node scripts/ensure-tools.mjs      (prints what it found or installed; exit 1 if something is missing)

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FIRESTORE_JAR, postgresBinDir } from "./services.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** pnpm version pinned by the root package.json "packageManager" field (pnpm@X.Y.Z). */
export function pinnedPnpmVersion() {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8"));
  const m = /^pnpm@(\d+\.\d+\.\d+)/.exec(pkg.packageManager ?? "");
  return m ? m[1] : "12.4.2";
}

function log(msg) {
  process.stderr.write(`[ensure-tools] ${msg}\n`);
}

// npm can hang on a broken global prefix: every external call has a deadline.
const INSTALL_TIMEOUT_MS = 180_000;

function versionOf(cmd, args = ["--version"], timeout = 30_000) {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout,
    killSignal: "SIGKILL",
  });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim();
}

function run(cmd, args, opts = {}) {
  log(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, {
    stdio: ["ignore", "inherit", "inherit"],
    timeout: INSTALL_TIMEOUT_MS,
    killSignal: "SIGKILL",
    ...opts,
  });
  if (r.error) log(`${cmd}: ${r.error.message}`);
  return r.error ? 127 : (r.status ?? 1);
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/**
 * Ensures pnpm at the pinned version. Order: pnpm on PATH at that version; else
 * `npm i -g pnpm@V` (in CI, or when no pnpm is installed at all: a developer's other global pnpm
 * is left alone); else `npx -y pnpm@V`.
 * @returns {{ cmd: string, prefix: string[], version: string, how: string }}
 *   run pnpm as spawn(cmd, [...prefix, ...args])
 */
export function ensurePnpm(version = pinnedPnpmVersion()) {
  const have = versionOf("pnpm");
  if (have === version) return { cmd: "pnpm", prefix: [], version, how: "PATH" };
  const ci = Boolean(process.env.CI) && process.env.CI !== "false";
  if (have === null || ci) {
    log(have ? `pnpm ${have} on PATH, want ${version}` : `pnpm not found, installing ${version}`);
    if (run("npm", ["i", "-g", `pnpm@${version}`]) === 0) {
      if (versionOf("pnpm") === version) return { cmd: "pnpm", prefix: [], version, how: "npm -g" };
      // Installed, but the global bin dir is not on PATH: add it.
      const prefix = versionOf("npm", ["prefix", "-g"]);
      if (prefix) {
        const bin = process.platform === "win32" ? prefix : path.join(prefix, "bin");
        process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
        if (versionOf("pnpm") === version) {
          log(`added ${bin} to PATH`);
          return { cmd: "pnpm", prefix: [], version, how: "npm -g" };
        }
      }
    }
    log("global install not possible; falling back to npx");
  } else {
    log(
      `pnpm ${have} on PATH, want ${version}: using npx -y pnpm@${version} (global pnpm untouched)`,
    );
  }
  const got = versionOf("npx", ["-y", `pnpm@${version}`, "--version"], INSTALL_TIMEOUT_MS);
  if (got === version)
    return { cmd: "npx", prefix: ["-y", `pnpm@${version}`], version, how: "npx" };
  throw new Error(
    `could not get pnpm ${version} (PATH: ${have ?? "none"}, npm -g failed, npx gave ${got ?? "nothing"})`,
  );
}

/** Ensures redis-server and redis-cli; apt-get installs them when missing and running as root. */
export function ensureRedis() {
  const have = () => versionOf("redis-server") !== null && versionOf("redis-cli") !== null;
  if (have()) return versionOf("redis-server");
  if (!isRoot()) {
    throw new Error(
      "redis-server / redis-cli not found. Install them (Debian/Ubuntu: sudo apt-get install -y redis-server) and retry.",
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (run("apt-get", ["update"], { env }) !== 0)
    log("apt-get update failed; trying install anyway");
  if (run("apt-get", ["install", "-y", "redis-server"], { env }) !== 0 || !have()) {
    throw new Error("apt-get install -y redis-server failed");
  }
  return versionOf("redis-server");
}

/**
 * Ensures PostgreSQL's server binaries (initdb, postgres, pg_isready); apt-get installs Debian's
 * `postgresql` package when they are missing and running as root. Returns "<version> in <dir>".
 */
export function ensurePostgres() {
  const found = () => {
    try {
      const dir = postgresBinDir();
      return `${versionOf(path.join(dir, "postgres")) ?? "postgres (version unknown)"} in ${dir}`;
    } catch {
      return null;
    }
  };
  const have = found();
  if (have) return have;
  if (!isRoot()) {
    throw new Error(
      "PostgreSQL server binaries not found. Install them (Debian/Ubuntu: sudo apt-get install -y postgresql) and retry.",
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (run("apt-get", ["update"], { env }) !== 0)
    log("apt-get update failed; trying install anyway");
  const installed = run("apt-get", ["install", "-y", "postgresql"], { env }) === 0 && found();
  if (!installed) throw new Error("apt-get install -y postgresql failed");
  return installed;
}

/** Checks java and the Firestore emulator jar (not installable here: image only). */
export function checkFirestore() {
  if (!existsSync(FIRESTORE_JAR)) {
    throw new Error(
      `Firestore emulator jar not found at ${FIRESTORE_JAR} (image package google-cloud-cli-firestore-emulator; not apt-installable). Set SYNCGUARD_FIRESTORE_JAR if it lives elsewhere.`,
    );
  }
  const r = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (r.error || r.status !== 0)
    throw new Error("java not found (the Firestore emulator needs Java 17+)");
  return (r.stderr || r.stdout).split("\n")[0].trim();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let failed = false;
  for (const [name, fn] of [
    ["pnpm", () => ensurePnpm()],
    ["redis", ensureRedis],
    ["postgres", ensurePostgres],
    ["firestore", checkFirestore],
  ]) {
    try {
      log(`${name}: ${JSON.stringify(fn())}`);
    } catch (e) {
      failed = true;
      log(`${name}: ${e.message}`);
    }
  }
  process.exit(failed ? 1 : 0);
}
