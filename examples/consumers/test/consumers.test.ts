/**
 * Consumer tests: fresh projects outside the workspace, installed with plain `npm install` from
 * the packed tarballs plus the real client libraries from the registry, each doing a real lock
 * round trip. `@syncguard/core` is not on the registry yet, so an `overrides` entry points the
 * backends' `^0.1.0` dependency at its tarball (what the registry would serve after publishing).
 *
 *   (a) ESM TypeScript, only @syncguard/redis + redis: no Firestore anywhere in the tree.
 *   (b) CommonJS JavaScript, only @syncguard/firestore + @google-cloud/firestore: no Redis.
 *   (a) and (b) also import the 2.x migration from its subpath (`@syncguard/<store>/migrate`),
 *       run the package's deprecated migration command as npm linked it (dry run), and the
 *       `syncguard` CLI (@syncguard/cli, whose store packages are optional peers: npm installs
 *       none of the other store's), which reaches the store through `@syncguard/<store>/operator`
 *       (inspect or fence, and `migrate-2x --dry-run`).
 *   (c) @syncguard/conformance + @syncguard/core + jest, running the README's example test file
 *       (copied from packages/conformance/README.md as written) against a file-system backend.
 *   (d) CommonJS TypeScript, only firebase-admin + @syncguard/firestore: the lock runs on the
 *       Firestore from `getFirestore()`, and npm installs one Firestore SDK (firebase-admin's).
 *   (e) only ioredis + @syncguard/redis, no `redis` package: an ESM and a CommonJS entry each
 *       lock, extend, release and wait with wake-ups on a single node and on a Cluster; both
 *       declaration flavours type-check `new Redis()` and `new Cluster()`.
 *   (f) only pg + @syncguard/postgres: an ESM and a CommonJS entry each create the tables, lock,
 *       extend, release, and wake a waiter through LISTEN/NOTIFY on a real PostgreSQL 20 times,
 *       printing the median time from the release to the waiter's fn; each resolves the shipped
 *       migration through the package's exports and finds it equal to schemaSql().
 *   (g) the same with only postgres.js (`postgres`) + @syncguard/postgres.
 *   (h) two copies of core: the app pins a core tarball packed as 0.2.0, @syncguard/redis gets its
 *       own nested 0.1.0; (i) one copy installed, loaded twice: core `import`ed (ESM build) next to
 *       @syncguard/redis `require`d (which loads core's CommonJS build). Both run lock(), a hand-off
 *       to a waiter woken by the release, listLocks and forceRelease through the app's core on the
 *       backend's, a transient error of the backend's copy retried by the app's lock(), and
 *       `instanceof LockError` / `LockError.is` both ways (ADR-029).
 *   (j) @syncguard/schedule with node-cron, croner and cron from the registry: an ESM and a
 *       CommonJS entry each run six instances (two per scheduler) of one every-second job on one
 *       memory backend; each slot runs once.
 *   (k) @syncguard/nestjs in a TypeScript Nest application, ESM on Nest 12 and CommonJS on Nest 11
 *       (each with its @nestjs/schedule): two application contexts run a @Cron("* * * * * *")
 *       method with @RunOnce() once per slot; SyncGuardService is injected by type and locks.
 *
 * The twelve installs start together (npm's cache is shared and safe for that); each test waits
 * for its own.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  defang,
  expectOk,
  installedCopies,
  installedPackages,
  makeProject,
  NPM_INSTALL,
  plainEnv,
  ROOT,
  type RunResult,
  repackedTarball,
  run,
  secs,
  serviceEnv,
  tarball,
} from "./helpers";

const rootPkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const devVersion = (name: string, from = rootPkg): string => {
  const v = from.devDependencies?.[name];
  if (!v) throw new Error(`no pinned version of ${name}`);
  return v;
};
const redisPkg = JSON.parse(readFileSync(join(ROOT, "packages/redis/package.json"), "utf8"));
const redisVersion = devVersion("redis", redisPkg);
const ioredisVersion = devVersion("ioredis", redisPkg);
const postgresPkg = JSON.parse(readFileSync(join(ROOT, "packages/postgres/package.json"), "utf8"));
const pgVersion = devVersion("pg", postgresPkg);
const postgresJsVersion = devVersion("postgres", postgresPkg);
const firestoreVersion = devVersion(
  "@google-cloud/firestore",
  JSON.parse(readFileSync(join(ROOT, "packages/firestore/package.json"), "utf8")),
);
const schedulePkg = JSON.parse(readFileSync(join(ROOT, "packages/schedule/package.json"), "utf8"));
const nestPkg = JSON.parse(readFileSync(join(ROOT, "packages/nestjs/package.json"), "utf8"));
/** Nest of each consumer project: 11 (CommonJS), as the package's tests use, and 12 (ESM only). */
const NEST = {
  cjs: {
    "@nestjs/common": devVersion("@nestjs/common", nestPkg),
    "@nestjs/core": devVersion("@nestjs/core", nestPkg),
    "@nestjs/schedule": devVersion("@nestjs/schedule", nestPkg),
  },
  esm: { "@nestjs/common": "12.6.3", "@nestjs/core": "12.6.3", "@nestjs/schedule": "12.0.2" },
};
const firebaseAdminVersion = devVersion(
  "firebase-admin",
  JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")),
);
const file = (name: string) => `file:${tarball(name)}`;
const overrides = () => ({ "@syncguard/core": file("@syncguard/core") });

const timings: string[] = [];
const installs = new Map<string, Promise<{ dir: string; install: RunResult }>>();

function install(name: string, pkg: Record<string, unknown>, fixture?: string) {
  const p = (async () => {
    const dir = makeProject(name, pkg, fixture);
    const r = await run("npm", NPM_INSTALL, dir);
    timings.push(`${name}: npm install ${secs(r.ms)}`);
    return { dir, install: expectOk(`npm install in ${dir}`, r) };
  })();
  p.catch(() => {}); // reported by the test that awaits it
  installs.set(name, p);
}

/** The README section "Test your own backend in one file": its sh, ts and js code blocks. */
function readmeExample() {
  const readme = readFileSync(join(ROOT, "packages/conformance/README.md"), "utf8");
  const start = readme.indexOf("## Test your own backend in one file");
  const end = readme.indexOf("\n## ", start + 1);
  if (start < 0) throw new Error("README section 'Test your own backend in one file' not found");
  const section = readme.slice(start, end < 0 ? undefined : end);
  const block = (lang: string) => {
    const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(section);
    if (!m?.[1]) throw new Error(`README section has no \`\`\`${lang} block`);
    return m[1];
  };
  const installed = [...block("sh").matchAll(/npm install (?:--save-dev )?(.+)/g)].map((m) =>
    (m[1] ?? "").trim().split(/\s+/),
  );
  return {
    dev: installed[0] ?? [],
    prod: installed[1] ?? [],
    test: block("ts"),
    jestConfig: block("js"),
  };
}

beforeAll(() => {
  install(
    "esm-redis",
    {
      type: "module",
      scripts: { build: "tsc -p tsconfig.json", start: "node dist/main.js" },
      dependencies: {
        "@syncguard/redis": file("@syncguard/redis"),
        "@syncguard/cli": file("@syncguard/cli"),
        redis: redisVersion,
      },
      devDependencies: { typescript: devVersion("typescript"), "@types/node": "^20" },
      overrides: overrides(),
    },
    "esm-redis",
  );
  install(
    "cjs-firestore",
    {
      dependencies: {
        "@syncguard/firestore": file("@syncguard/firestore"),
        "@syncguard/cli": file("@syncguard/cli"),
        "@google-cloud/firestore": firestoreVersion,
      },
      overrides: overrides(),
    },
    "cjs-firestore",
  );
  install(
    "firebase-admin",
    {
      scripts: { build: "tsc -p tsconfig.json", start: "node dist/main.js" },
      dependencies: {
        "@syncguard/firestore": file("@syncguard/firestore"),
        "firebase-admin": firebaseAdminVersion,
      },
      devDependencies: { typescript: devVersion("typescript"), "@types/node": "^20" },
      overrides: overrides(),
    },
    "firebase-admin",
  );
  install(
    "ioredis",
    {
      dependencies: { "@syncguard/redis": file("@syncguard/redis"), ioredis: ioredisVersion },
      devDependencies: { typescript: devVersion("typescript"), "@types/node": "^20" },
      overrides: overrides(),
    },
    "ioredis",
  );
  install(
    "postgres",
    {
      dependencies: { "@syncguard/postgres": file("@syncguard/postgres"), pg: pgVersion },
      overrides: overrides(),
    },
    "postgres",
  );
  install(
    "postgres-js",
    {
      dependencies: {
        "@syncguard/postgres": file("@syncguard/postgres"),
        postgres: postgresJsVersion,
      },
      overrides: overrides(),
    },
    "postgres",
  );
  install(
    "two-cores",
    {
      dependencies: {
        "@syncguard/core": `file:${repackedTarball("@syncguard/core", "0.2.0")}`,
        "@syncguard/redis": file("@syncguard/redis"),
        redis: redisVersion,
      },
      // Only the backend's own dependency on core gets the 0.1.0 tarball: npm nests it.
      overrides: { "@syncguard/redis": { "@syncguard/core": file("@syncguard/core") } },
    },
    "two-cores",
  );
  install(
    "esm-cjs",
    {
      dependencies: { "@syncguard/redis": file("@syncguard/redis"), redis: redisVersion },
      overrides: overrides(),
    },
    "two-cores",
  );
  install(
    "schedule",
    {
      dependencies: {
        "@syncguard/schedule": file("@syncguard/schedule"),
        "@syncguard/core": file("@syncguard/core"),
        "node-cron": devVersion("node-cron", schedulePkg),
        croner: devVersion("croner", schedulePkg),
        cron: devVersion("cron", schedulePkg),
      },
      overrides: overrides(),
    },
    "schedule",
  );
  for (const format of ["esm", "cjs"] as const) {
    install(
      `nestjs-${format}`,
      {
        ...(format === "esm" ? { type: "module" } : {}),
        dependencies: {
          "@syncguard/nestjs": file("@syncguard/nestjs"),
          "@syncguard/core": file("@syncguard/core"),
          ...NEST[format],
          "reflect-metadata": devVersion("reflect-metadata", nestPkg),
          rxjs: devVersion("rxjs", nestPkg),
        },
        devDependencies: { typescript: devVersion("typescript"), "@types/node": "^20" },
        overrides: { ...overrides(), "@syncguard/schedule": file("@syncguard/schedule") },
      },
      "nestjs",
    );
  }
  const example = readmeExample();
  const version = (name: string): string =>
    name.startsWith("@syncguard/") ? file(name) : devVersion(name);
  install(
    "conformance-consumer",
    {
      dependencies: Object.fromEntries(example.prod.map((n) => [n, version(n)])),
      devDependencies: Object.fromEntries(example.dev.map((n) => [n, version(n)])),
      overrides: overrides(),
    },
    "conformance",
  );
});

afterAll(() => {
  if (timings.length > 0) process.stdout.write(`[consumers] ${timings.join("; ")}\n`);
});

it("(a) ESM TypeScript project with only @syncguard/redis + redis: type-checks, round trip on Redis", async () => {
  const env = plainEnv(serviceEnv("REDIS_URL"));
  const { dir } = await installs.get("esm-redis")!;
  const tree = installedPackages(dir);
  expect(tree.has("@syncguard/redis")).toBe(true);
  expect(tree.has("@syncguard/core")).toBe(true);
  expect(tree.has("@syncguard/firestore")).toBe(false);
  expect(tree.has("@google-cloud/firestore")).toBe(false);
  expect([...tree].filter((n) => /firestore|google/i.test(n))).toEqual([]);

  const tsc = expectOk("tsc", await run("npx", ["tsc", "-p", "tsconfig.json"], dir, env));
  const start = expectOk(
    "node dist/main.js",
    await run("node", ["dist/main.js"], dir, env, 60_000),
  );
  expect(start.output).toMatch(/"ok":true,"format":"esm"/);
  // The deprecated migration command npm linked from the package's "bin" (URL from REDIS_URL):
  // it still works, after a notice naming `syncguard migrate-2x`.
  const bin = join(dir, "node_modules", ".bin", "syncguard-redis-migrate-2x");
  const migrate = expectOk("migrate-2x", await run(bin, ["--dry-run", "--json"], dir, env));
  expect(migrate.output).toMatch(/"dryRun":true/);
  expect(migrate.output).toContain("deprecated: use `syncguard migrate-2x`");
  // The operator CLI as npm linked it (Redis from REDIS_URL), through @syncguard/redis/operator:
  // a free key is "not held", exit 1, and the migration's dry run reports as JSON.
  const cli = join(dir, "node_modules", ".bin", "syncguard");
  const inspect = await run(cli, ["inspect", "consumer:free", "--json"], dir, env);
  expect(inspect.code).toBe(1);
  expect(JSON.parse(inspect.output)).toEqual({ key: "consumer:free", held: false });
  const dry = expectOk(
    "syncguard migrate-2x",
    await run(cli, ["migrate-2x", "--dry-run", "--json"], dir, env),
  );
  expect(JSON.parse(dry.output)).toMatchObject({ dryRun: true, countersRaised: 0 });
  timings.push(`esm-redis: tsc ${secs(tsc.ms)}, run ${secs(start.ms)}`);
});

it("(b) CommonJS JavaScript project with only @syncguard/firestore: round trip on the emulator", async () => {
  const env = plainEnv({
    ...serviceEnv("FIRESTORE_EMULATOR_HOST"),
    GCLOUD_PROJECT: process.env.GCLOUD_PROJECT ?? "demo-syncguard",
    METADATA_SERVER_DETECTION: "none",
  });
  const { dir } = await installs.get("cjs-firestore")!;
  const tree = installedPackages(dir);
  expect(tree.has("@syncguard/firestore")).toBe(true);
  expect(tree.has("@syncguard/redis")).toBe(false);
  expect(tree.has("redis")).toBe(false);
  expect([...tree].filter((n) => n.startsWith("@redis/"))).toEqual([]);

  const start = expectOk("node main.js", await run("node", ["main.js"], dir, env, 90_000));
  expect(start.output).toMatch(/"ok":true,"format":"cjs"/);
  // The deprecated migration command npm linked from the package's "bin" (project from
  // GCLOUD_PROJECT): it still works, after a notice naming `syncguard migrate-2x`.
  const bin = join(dir, "node_modules", ".bin", "syncguard-firestore-migrate-2x");
  const migrate = expectOk("migrate-2x", await run(bin, ["--dry-run", "--json"], dir, env));
  expect(migrate.output).toMatch(/"dryRun":true/);
  expect(migrate.output).toContain("deprecated: use `syncguard migrate-2x`");
  // The operator CLI as npm linked it, on the emulator, through @syncguard/firestore/operator:
  // a key never locked has no fence, and the migration's dry run reports as JSON.
  const cli = join(dir, "node_modules", ".bin", "syncguard");
  const project = env.GCLOUD_PROJECT as string;
  const fence = expectOk(
    "syncguard fence",
    await run(cli, ["fence", "consumer:never", "--project", project, "--json"], dir, env),
  );
  expect(JSON.parse(fence.output)).toEqual({ key: "consumer:never", fence: null, shared: false });
  // On a machine with neither the emulator nor Google credentials: exit 3 and one line saying
  // how to give them, never Node's stack and exit 1 (which a script reads as "free").
  const home = mkdtempSync(join(tmpdir(), "syncguard-no-adc-"));
  const bare = plainEnv({ HOME: home, CLOUDSDK_CONFIG: join(home, "gcloud") });
  delete bare.FIRESTORE_EMULATOR_HOST;
  delete bare.GOOGLE_APPLICATION_CREDENTIALS;
  const noCredentials = await run(cli, ["inspect", "k", "--project", project], dir, bare);
  expect(noCredentials.code).toBe(3);
  expect(noCredentials.output).toMatch(/^syncguard: AuthFailed: no Google credentials found/);
  expect(noCredentials.output.trim().split("\n")).toHaveLength(1);
  const dry = expectOk(
    "syncguard migrate-2x",
    await run(cli, ["migrate-2x", "--project", project, "--dry-run", "--json"], dir, env),
  );
  expect(JSON.parse(dry.output)).toMatchObject({ dryRun: true, countersRaised: 0 });
  timings.push(`cjs-firestore: run ${secs(start.ms)}`);
});

it("(c) the conformance README example, as written, passes against a custom backend", async () => {
  const { dir } = await installs.get("conformance-consumer")!;
  const example = readmeExample();
  // The backend: examples/custom-backend's sources, plus the fixture's createMyBackend/worker.
  for (const f of ["file-backend.ts", "store.ts", "mutex.ts"]) {
    cpSync(join(ROOT, "examples/custom-backend/src", f), join(dir, "src", f));
  }
  mkdirSync(join(dir, "test"), { recursive: true });
  writeFileSync(join(dir, "test", "conformance.test.ts"), example.test);
  writeFileSync(join(dir, "jest.config.js"), example.jestConfig);
  const env = plainEnv();

  // Both formats of core and its ./memory subpath, installed from the tarball.
  for (const script of ["check-memory.cjs", "check-memory.mjs"]) {
    const r = expectOk(script, await run("node", [script], dir, env, 30_000));
    expect(r.output).toMatch(/"ok":true/);
  }

  const tsc = expectOk("tsc", await run("npx", ["tsc", "-p", "tsconfig.json"], dir, env));
  expect(existsSync(join(dir, "dist", "worker.js"))).toBe(true);
  const jest = await run("npx", ["jest", "--ci", "--verbose", "--colors=false"], dir, env, 200_000);
  const summary = /Tests:\s+(.*)/.exec(jest.output)?.[1] ?? "(no summary)";
  timings.push(`conformance: tsc ${secs(tsc.ms)}, jest ${secs(jest.ms)} (${summary.trim()})`);
  expectOk("jest (conformance suite)", jest);
  expect(summary).toMatch(/\d+ passed/);
  expect(summary).not.toMatch(/failed/);
  // The only skips: wake-ups, the wait queue, the operator reads and semaphores, which the
  // README's backend does not declare (it has none of them). Elections need no capability.
  const skipped = defang(jest.output)
    .split("\n")
    .filter((line) => /○ skipped/.test(line));
  const optional =
    /\[(wake\.release|wait\.(fair|reserved|withdraw)|inventory\.list|inventory\.fence|semaphore\.[\w-]+)\]/;
  expect(skipped.filter((line) => !optional.test(line))).toEqual([]);
  // The race ran in child processes (the README example sets `worker`), not skipped.
  expect(defang(jest.output)).toMatch(/\[race\./);
});

it("(d) firebase-admin project: one Firestore SDK installed, type-checks, round trip through createLock(getFirestore())", async () => {
  const env = plainEnv({
    ...serviceEnv("FIRESTORE_EMULATOR_HOST"),
    GCLOUD_PROJECT: process.env.GCLOUD_PROJECT ?? "demo-syncguard",
    METADATA_SERVER_DETECTION: "none",
  });
  const { dir } = await installs.get("firebase-admin")!;
  const modules = join(dir, "node_modules");
  // One copy, at the top (where @syncguard/firestore's types resolve it), and it is the major
  // firebase-admin asks for: no second SDK installed for the peer dependency.
  const copies = installedCopies(dir).get("@google-cloud/firestore") ?? [];
  expect(copies).toEqual([join(modules, "@google-cloud", "firestore")]);
  const admin = JSON.parse(readFileSync(join(modules, "firebase-admin", "package.json"), "utf8"));
  const wanted: string = admin.optionalDependencies?.["@google-cloud/firestore"] ?? "";
  const sdk = JSON.parse(readFileSync(join(copies[0]!, "package.json"), "utf8"));
  expect(wanted).toMatch(/^\^7\./);
  expect(sdk.version).toMatch(/^7\./);

  const tsc = expectOk("tsc", await run("npx", ["tsc", "-p", "tsconfig.json"], dir, env));
  const start = expectOk(
    "node dist/main.js",
    await run("node", ["dist/main.js"], dir, env, 90_000),
  );
  expect(start.output).toMatch(/"ok":true,"format":"firebase-admin"/);
  timings.push(
    `firebase-admin ${firebaseAdminVersion} (@google-cloud/firestore ${sdk.version}): tsc ${secs(tsc.ms)}, run ${secs(start.ms)}`,
  );
});

it("(e) ioredis project without `redis`: type-checks, ESM and CJS lock, extend, release and wake-ups on Redis and Cluster", async () => {
  const env = plainEnv(serviceEnv("REDIS_URL", "REDIS_CLUSTER_NODES"));
  const { dir } = await installs.get("ioredis")!;
  const modules = join(dir, "node_modules");
  const tree = installedPackages(dir);
  expect(tree.has("@syncguard/redis")).toBe(true);
  expect(tree.has("@syncguard/core")).toBe(true);
  // Both clients are optional peers: npm must not bring node-redis in for an ioredis user.
  expect(tree.has("redis")).toBe(false);
  expect([...tree].filter((n) => n.startsWith("@redis/"))).toEqual([]);
  expect([...tree].filter((n) => /firestore|google/i.test(n))).toEqual([]);
  // One ioredis, the pinned one, where @syncguard/redis's import and the app's resolve it.
  const copies = installedCopies(dir).get("ioredis") ?? [];
  expect(copies).toEqual([join(modules, "ioredis")]);
  const ioredis = JSON.parse(readFileSync(join(copies[0]!, "package.json"), "utf8"));
  expect(ioredis.version).toBe(ioredisVersion);

  const tsc = expectOk("tsc", await run("npx", ["tsc", "-p", "tsconfig.json"], dir, env));
  const runs: string[] = [];
  for (const [entry, format, build] of [
    ["main.mjs", "esm", "dist/index.mjs"],
    ["main.cjs", "cjs", "dist/index.js"],
  ] as const) {
    // A script that does not exit by itself (a connection left open) is killed and fails here.
    const r = expectOk(`node ${entry}`, await run("node", [entry], dir, env, 60_000));
    const lines = r.output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line));
    const result = lines.find((l) => l.ok === true);
    expect(result).toMatchObject({ format });
    expect(String(result.resolved)).toMatch(new RegExp(`@syncguard/redis/${build}$`));
    for (const mode of ["single", "cluster"]) {
      expect(result[mode].fence).toMatch(/^\d{15}$/);
      // The waiter's retry delay is 10 s: only a wake-up gets it the lock this soon.
      expect(result[mode].wakeMs).toBeLessThan(5_000);
    }
    const lag = lines.find((l) => typeof l.exitLagMs === "number")?.exitLagMs;
    expect(typeof lag).toBe("number");
    runs.push(
      `${format} ${secs(r.ms)} (wake ${result.single.wakeMs}/${result.cluster.wakeMs} ms single/cluster, exit after ${secs(lag)})`,
    );
  }
  // The deprecated migration command, with no node-redis and no CLI installed, connects with
  // ioredis through the package's operator module.
  const bin = join(modules, ".bin", "syncguard-redis-migrate-2x");
  const migrate = expectOk("migrate-2x", await run(bin, ["--dry-run", "--json"], dir, env));
  expect(migrate.output).toMatch(/"dryRun":true/);
  const cluster = (env.REDIS_CLUSTER_NODES ?? "")
    .split(",")
    .flatMap((node) => ["--url", `redis://${node}`]);
  const onCluster = expectOk(
    "migrate-2x --cluster",
    await run(bin, ["--cluster", ...cluster, "--dry-run", "--json"], dir, env),
  );
  expect(onCluster.output).toMatch(/"dryRun":true/);
  timings.push(`ioredis ${ioredis.version}: tsc ${secs(tsc.ms)}, run ${runs.join(", ")}`);
});

/** Runs an ESM and a CJS entry of the postgres fixture; returns a timing line. */
async function postgresRoundTrips(project: string, client: string, entries: [string, string]) {
  const env = plainEnv(serviceEnv("SYNCGUARD_POSTGRES_URL"));
  const { dir } = await installs.get(project)!;
  const tree = installedPackages(dir);
  expect(tree.has("@syncguard/postgres")).toBe(true);
  expect(tree.has("@syncguard/core")).toBe(true);
  expect(tree.has(client)).toBe(true);
  // Both clients are optional peers: npm must not bring in the other one.
  expect(tree.has(client === "pg" ? "postgres" : "pg")).toBe(false);
  expect([...tree].filter((n) => /redis|firestore|google/i.test(n))).toEqual([]);
  const runs: string[] = [];
  for (const [entry, format, build] of [
    [entries[0], "esm", "dist/index.mjs"],
    [entries[1], "cjs", "dist/index.js"],
  ] as const) {
    // A script that does not exit by itself (a connection left open) is killed and fails here.
    const r = expectOk(`node ${entry}`, await run("node", [entry], dir, env, 60_000));
    const line = r.output.split("\n").find((l) => l.startsWith("{"));
    const result = JSON.parse(line ?? "{}");
    expect(result).toMatchObject({ ok: true, format });
    expect(String(result.resolved)).toMatch(new RegExp(`@syncguard/postgres/${build}$`));
    // The migration resolved through the package's exports (and found equal to schemaSql()).
    expect(String(result.migration)).toMatch(
      /@syncguard\/postgres\/migrations\/004_permit_queue\.sql$/,
    );
    expect(result.fence).toMatch(/^\d{15}$/);
    // Each waiter took the key with its first attempt after the release (checked in the
    // project); its retry delay is 10 s, so every sample is a wake-up, not a poll.
    expect(result.wakeSamples).toBe(20);
    expect(result.wakeMaxMs).toBeLessThan(5_000);
    runs.push(
      `${format} ${secs(r.ms)} (wake-up p50 ${result.wakeP50Ms} ms over ${result.wakeSamples}, first ${result.wakeFirstMs} ms, max ${result.wakeMaxMs} ms)`,
    );
  }
  return `${project}: run ${runs.join(", ")}`;
}

it("(f) project with only pg + @syncguard/postgres: ESM and CJS create the tables, lock and wake a waiter", async () => {
  timings.push(await postgresRoundTrips("postgres", "pg", ["main.mjs", "main.cjs"]));
});

it("(g) project with only postgres.js + @syncguard/postgres: ESM and CJS create the tables, lock and wake a waiter", async () => {
  timings.push(await postgresRoundTrips("postgres-js", "postgres", ["js.mjs", "js.cjs"]));
});

/** Runs one entry of the two-cores fixture; returns its JSON result and a timing line. */
async function twoCores(project: string, entry: string) {
  const env = plainEnv(serviceEnv("REDIS_URL"));
  const { dir } = await installs.get(project)!;
  const r = expectOk(`node ${entry}`, await run("node", [entry], dir, env, 60_000));
  const result = JSON.parse(r.output.split("\n").find((l) => l.startsWith("{")) ?? "{}");
  expect(result).toMatchObject({ ok: true });
  expect(result.fence).toMatch(/^\d{15}$/);
  // The waiter's retry delay is 10 s: only a wake-up gets it the lock this soon.
  expect(result.wakeMs).toBeLessThan(5_000);
  expect(result.transientAttempts).toBeGreaterThanOrEqual(2);
  expect(result.appCore).not.toEqual(result.backendCore);
  return { result, timing: `${project}: run ${secs(r.ms)} (wake ${result.wakeMs} ms)` };
}

it("(h) two copies of core (app 0.2.0, backend's nested 0.1.0): lock, hand-off, forceRelease, errors across copies", async () => {
  const { dir } = await installs.get("two-cores")!;
  const copies = installedCopies(dir).get("@syncguard/core") ?? [];
  expect(copies).toEqual([
    join(dir, "node_modules", "@syncguard", "core"),
    join(dir, "node_modules", "@syncguard", "redis", "node_modules", "@syncguard", "core"),
  ]);
  const { result, timing } = await twoCores("two-cores", "main.cjs");
  expect(result.versions).toEqual(["0.2.0", "0.1.0"]);
  timings.push(timing);
});

it("(i) core imported as ESM next to @syncguard/redis required as CommonJS: the same checks", async () => {
  const { dir } = await installs.get("esm-cjs")!;
  expect(installedCopies(dir).get("@syncguard/core")).toHaveLength(1);
  const { result, timing } = await twoCores("esm-cjs", "main.mjs");
  expect(String(result.appCore)).toMatch(/@syncguard\/core\/dist\/index\.mjs$/);
  expect(String(result.backendCore)).toMatch(/@syncguard\/core\/dist\/index\.js$/);
  timings.push(timing);
});

it("(j) @syncguard/schedule with node-cron, croner and cron: ESM and CJS run each slot once across six instances", async () => {
  const { dir } = await installs.get("schedule")!;
  const tree = installedPackages(dir);
  for (const name of ["@syncguard/schedule", "node-cron", "croner", "cron"]) {
    expect(tree.has(name)).toBe(true);
  }
  // No store client and no Nest: nothing the project did not ask for comes along.
  expect([...tree].filter((n) => /redis|firestore|google|^pg$|postgres|nestjs/i.test(n))).toEqual(
    [],
  );
  // Both entries at once: each waits for two full one-second slots.
  const entries = [
    ["main.mjs", "esm", "dist/index.mjs"],
    ["main.cjs", "cjs", "dist/index.js"],
  ] as const;
  const results = await Promise.all(
    entries.map(([entry]) => run("node", [entry], dir, plainEnv(), 60_000)),
  );
  const runs: string[] = [];
  entries.forEach(([entry, format, build], i) => {
    const r = expectOk(`node ${entry}`, results[i]!);
    const result = JSON.parse(r.output.split("\n").find((l) => l.startsWith("{")) ?? "{}");
    expect(result).toMatchObject({ ok: true, format, failed: [] });
    expect(String(result.resolved)).toMatch(new RegExp(`@syncguard/schedule/${build}$`));
    expect(result.slots).toBeGreaterThanOrEqual(2);
    for (const n of result.runsPerSlot) expect(n).toBe(1);
    runs.push(`${format} ${secs(r.ms)}`);
  });
  timings.push(`schedule: run ${runs.join(", ")}`);
});

it.each(["esm", "cjs"] as const)(
  "(k) @syncguard/nestjs, %s: type-checks, two Nest instances run a @Cron method once per slot",
  async (format) => {
    const { dir } = await installs.get(`nestjs-${format}`)!;
    const tree = installedPackages(dir);
    expect(tree.has("@syncguard/nestjs")).toBe(true);
    expect(tree.has("@syncguard/schedule")).toBe(true);
    // The other schedulers @syncguard/schedule supports are optional peers: not installed.
    expect(tree.has("node-cron")).toBe(false);
    expect(tree.has("croner")).toBe(false);
    const nest = JSON.parse(
      readFileSync(join(dir, "node_modules/@nestjs/common/package.json"), "utf8"),
    ).version;
    expect(nest).toBe(NEST[format]["@nestjs/common"]);
    // Nest 11's declarations are compiled with the package's own typecheck; Nest 12's only here.
    const libCheck = format === "esm" ? [] : ["--skipLibCheck"];
    const tsc = expectOk("tsc", await run("npx", ["tsc", "-p", "tsconfig.json", ...libCheck], dir));
    const r = expectOk(
      "node dist/main.js",
      await run("node", ["dist/main.js"], dir, plainEnv(), 60_000),
    );
    const result = JSON.parse(r.output.split("\n").find((l) => l.startsWith("{")) ?? "{}");
    expect(result).toMatchObject({ ok: true, format, injected: true, failed: [] });
    expect(result.slots).toBeGreaterThanOrEqual(2);
    for (const n of result.runsPerSlot) expect(n).toBe(1);
    timings.push(`nestjs-${format} (Nest ${nest}): tsc ${secs(tsc.ms)}, run ${secs(r.ms)}`);
  },
);
