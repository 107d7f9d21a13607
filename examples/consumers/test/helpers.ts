import { execFile, execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(__dirname, "../../..");
export const PROJECTS = resolve(__dirname, "../projects");

export interface Tarball {
  file: string;
  bytes: number;
  dir: string;
  version: string;
}

export interface Manifest {
  dir: string;
  tarballs: Record<string, Tarball>;
}

export function manifest(): Manifest {
  const dir = process.env.SYNCGUARD_CONSUMERS_DIR;
  if (!dir) throw new Error("SYNCGUARD_CONSUMERS_DIR is not set: run through jest (globalSetup)");
  return JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
}

export function tarball(name: string): string {
  const t = manifest().tarballs[name];
  if (!t) throw new Error(`no tarball for ${name}`);
  return t.file;
}

/**
 * The tarball of `name` packed again under another version number (what the registry would serve
 * for a later release), next to the original. Returns its path.
 */
export function repackedTarball(name: string, version: string): string {
  const dir = mkdtempSync(join(manifest().dir, "repack-"));
  execFileSync("tar", ["-xzf", tarball(name), "-C", dir]);
  const pkgFile = join(dir, "package", "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8"));
  writeFileSync(pkgFile, `${JSON.stringify({ ...pkg, version }, null, 2)}\n`);
  const out = execFileSync("npm", ["pack", "--pack-destination", dir, "--loglevel=error"], {
    cwd: join(dir, "package"),
    env: plainEnv(),
    encoding: "utf8",
  });
  return join(dir, out.trim().split("\n").pop() ?? "");
}

/**
 * The environment a stranger's shell would have: none of the variables pnpm, turbo or jest set
 * for this workspace (npm would read `npm_config_*` as configuration).
 */
export function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|PNPM_|TURBO_|JEST_|INIT_CWD$|NODE_ENV$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface RunResult {
  code: number;
  output: string;
  ms: number;
}

/** Hides jest summary lines of nested runs, so the workspace's test counter never adds them. */
export function defang(text: string): string {
  return text.replace(/(Tests|Test Suites|Snapshots):(\s)/g, "$1 -$2");
}

export function run(
  cmd: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = plainEnv(),
  timeoutMs = 200_000,
): Promise<RunResult> {
  const t0 = Date.now();
  return new Promise((resolveRun) => {
    execFile(
      cmd,
      args,
      { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolveRun({ code, output: `${stdout}${stderr}`, ms: Date.now() - t0 });
      },
    );
  });
}

/** Fails with the command's output (tail, defanged) when it did not exit 0. */
export function expectOk(what: string, r: RunResult): RunResult {
  if (r.code !== 0) {
    throw new Error(`${what} exited ${r.code}:\n${defang(r.output).slice(-6000)}`);
  }
  return r;
}

/**
 * A fresh project dir outside the workspace: the fixture's files are copied in and
 * `package.json` is written from `pkg`.
 */
export function makeProject(name: string, pkg: Record<string, unknown>, fixture?: string): string {
  const dir = join(manifest().dir, name);
  mkdirSync(dir, { recursive: true });
  if (fixture) cpSync(join(PROJECTS, fixture), dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    `${JSON.stringify({ name, private: true, ...pkg }, null, 2)}\n`,
  );
  return dir;
}

export const NPM_INSTALL = [
  "install",
  "--no-audit",
  "--no-fund",
  "--prefer-offline",
  "--loglevel=error",
];

/**
 * Every installed copy of every package under node_modules, nested ones too: package name (scoped
 * ones as `@scope/name`) to the directories holding a copy.
 */
export function installedCopies(dir: string): Map<string, string[]> {
  const copies = new Map<string, string[]>();
  const add = (name: string, at: string) => {
    copies.set(name, [...(copies.get(name) ?? []), at]);
    walk(join(at, "node_modules"));
  };
  const walk = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith(".")) continue;
      if (entry.startsWith("@")) {
        for (const sub of readdirSync(join(modules, entry))) {
          add(`${entry}/${sub}`, join(modules, entry, sub));
        }
      } else {
        add(entry, join(modules, entry));
      }
    }
  };
  walk(join(dir, "node_modules"));
  return copies;
}

/** Every package name installed under node_modules (scoped ones as `@scope/name`), nested too. */
export function installedPackages(dir: string): Set<string> {
  return new Set(installedCopies(dir).keys());
}

/** Required service environment, with a clear failure when the test runner did not start it. */
export function serviceEnv(...names: string[]): Record<string, string> {
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(", ")} not set: run through \`npm test\` (starts redis, the Firestore emulator and PostgreSQL) ` +
        "or `node scripts/services.mjs run --redis --cluster --firestore --postgres -- pnpm --filter syncguard-example-consumers test`",
    );
  }
  return Object.fromEntries(names.map((n) => [n, process.env[n] as string]));
}

export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
