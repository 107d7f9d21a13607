// Packs every published package once (pnpm pack: `workspace:^` becomes a caret range, as on
// publish) into a fresh temp dir outside the workspace and prints the tarball sizes. The tests
// read the manifest through SYNCGUARD_CONSUMERS_DIR (jest runs them in this process: --runInBand).
const { execFileSync } = require("node:child_process");
const {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} = require("node:fs");
const { tmpdir } = require("node:os");
const { join, resolve } = require("node:path");

const ROOT = resolve(__dirname, "../../..");
const PACKAGES = [
  "core",
  "redis",
  "firestore",
  "postgres",
  "conformance",
  "opentelemetry",
  "cli",
  "schedule",
  "nestjs",
];

function pnpmCommand() {
  const wanted = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).packageManager;
  const version = wanted.split("@")[1];
  try {
    const have = execFileSync("pnpm", ["--version"], { encoding: "utf8", timeout: 30000 }).trim();
    if (have === version) return ["pnpm", []];
  } catch {
    // not on PATH
  }
  return ["npx", ["-y", `pnpm@${version}`]];
}

module.exports = async function globalSetup() {
  const dir = mkdtempSync(join(tmpdir(), "syncguard-consumers-"));
  const tarballDir = join(dir, "tarballs");
  mkdirSync(tarballDir);
  const [cmd, prefix] = pnpmCommand();
  const t0 = Date.now();
  const tarballs = {};
  for (const name of PACKAGES) {
    const pkgDir = join(ROOT, "packages", name);
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
    const before = new Set(readdirSync(tarballDir));
    execFileSync(cmd, [...prefix, "pack", "--pack-destination", tarballDir], {
      cwd: pkgDir,
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120000,
    });
    const created = readdirSync(tarballDir).filter((f) => f.endsWith(".tgz") && !before.has(f));
    if (created.length !== 1)
      throw new Error(`pnpm pack in ${pkgDir} made ${created.length} tarballs`);
    const file = join(tarballDir, created[0]);
    tarballs[pkg.name] = { file, bytes: statSync(file).size, dir: pkgDir, version: pkg.version };
  }
  writeFileSync(join(dir, "manifest.json"), JSON.stringify({ dir, tarballs }, null, 2));
  process.env.SYNCGUARD_CONSUMERS_DIR = dir;
  const lines = Object.entries(tarballs).map(
    ([name, t]) => `  ${name.padEnd(24)} ${(t.bytes / 1024).toFixed(1).padStart(6)} kB  ${t.file}`,
  );
  process.stdout.write(
    `\n[consumers] packed ${PACKAGES.length} packages in ${((Date.now() - t0) / 1000).toFixed(1)} s; tarball sizes:\n${lines.join("\n")}\n`,
  );
};
