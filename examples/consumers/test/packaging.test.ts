/**
 * What `npm publish` would upload, checked on the tarballs pnpm packed: the file list (no tests,
 * sources or source maps; the files loaded by path are there), publint and
 * @arethetypeswrong/cli (attw, default "strict" profile: node10, node16 CJS/ESM, bundler).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { expectOk, manifest, ROOT, run } from "./helpers";

const BIN = join(ROOT, "node_modules", ".bin");
const tarballs = Object.entries(manifest().tarballs);

/** A subpath entry's files, both formats with their declarations. */
const subpath = (name: string) =>
  ["index.js", "index.mjs", "index.d.ts", "index.d.mts"].map((file) => `dist/${name}/${file}`);

const REQUIRED: Record<string, string[]> = {
  "@syncguard/core": [
    "dist/memory/index.js",
    "dist/memory/index.mjs",
    "dist/memory/index.d.ts",
    "dist/memory/index.d.mts",
  ],
  // The `./operator` and `./migrate` subpaths, and the deprecated migration commands ("bin").
  "@syncguard/redis": [...subpath("operator"), ...subpath("migrate"), "dist/migrate-2x.js"],
  "@syncguard/firestore": [
    "firestore.indexes.json",
    "firestore.rules",
    "firestore.client-sdk.rules",
    ...subpath("operator"),
    ...subpath("migrate"),
    "dist/migrate-2x.js",
  ],
  // The `./operator` subpath, and the reviewable schema SQL for migration tools (`./migrations/*`).
  "@syncguard/postgres": [
    ...subpath("operator"),
    "migrations/001_init.sql",
    "migrations/002_route_fences_and_wait_queue.sql",
    "migrations/003_semaphores.sql",
    "migrations/004_permit_queue.sql",
  ],
  // Spawned by path as a child process (`node dist/race-worker.js`) by the race suite.
  "@syncguard/conformance": ["dist/race-worker.js", "RULES.md"],
  // The `syncguard` command (package.json "bin").
  "@syncguard/cli": ["dist/bin.js"],
};

/**
 * CommonJS only: the CLI require()s the store packages it is pointed at (optional peers), and
 * ESM callers import CommonJS as is (ADR-026).
 */
const CJS_ONLY = new Set(["@syncguard/cli"]);

describe.each(tarballs)("%s tarball", (name, t) => {
  const files = execFileSync("tar", ["tzf", t.file], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ""));

  it("ships dist (ESM + CJS + declarations for both), README and LICENSE", () => {
    for (const f of [
      "package.json",
      "README.md",
      "LICENSE",
      "dist/index.js",
      "dist/index.d.ts",
      ...(CJS_ONLY.has(name) ? [] : ["dist/index.mjs", "dist/index.d.mts"]),
      ...(REQUIRED[name] ?? []),
    ]) {
      expect(files).toContain(f);
    }
  });

  it("ships no tests, sources, source maps or build config", () => {
    const unwanted = files.filter(
      (f) =>
        /(^|\/)(test|tests|__tests__|src|fixtures)\//.test(f) ||
        /\.(test|spec)\.[cm]?[jt]s$/.test(f) ||
        /\.map$/.test(f) ||
        /(^|\/)(tsconfig[^/]*\.json|tsup\.config\.\w+|jest\.config\.\w+|\.turbo)/.test(f),
    );
    expect(unwanted).toEqual([]);
  });

  it("publint --strict finds no problem", async () => {
    const r = expectOk(
      "publint",
      await run(join(BIN, "publint"), ["run", t.file, "--strict"], ROOT, process.env),
    );
    expect(r.output).not.toMatch(/Errors?:|Warnings?:/);
  });

  it("attw (are the types wrong) finds no problem", async () => {
    const r = expectOk(
      "attw",
      await run(
        join(BIN, "attw"),
        [t.file, "--format", "ascii", "--no-color", "--no-emoji"],
        ROOT,
        process.env,
      ),
    );
    expect(r.output).toMatch(/No problems found/);
  });
});
