import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { layoutForKey } from "../src/keys";
import { freePort } from "./helpers/process";
import { clusterNodes, connectTarget, MODES, type Mode, redisUrl } from "./helpers/services";
import { seedCounter2x } from "./helpers/syncguard-2x";

// The built command, as npm links it for `syncguard-redis-migrate-2x` (package.json "bin"): a
// deprecated alias of `syncguard migrate-2x`, kept for one minor release.
const BIN = join(__dirname, "..", "dist", "migrate-2x.js");
const DEPRECATED =
  "syncguard-redis-migrate-2x is deprecated: use `syncguard migrate-2x` (@syncguard/cli).\n";

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const { REDIS_URL: _, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...inherited, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm build first`);
});

describe("syncguard-redis-migrate-2x", () => {
  it("--help prints usage and exits 0, after a one-line deprecation notice on stderr", async () => {
    const out = await runBin(["--help"]);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(DEPRECATED);
    expect(out.stdout).toMatch(/Deprecated: use `syncguard migrate-2x`/);
    expect(out.stdout).toMatch(/^Usage: syncguard-redis-migrate-2x --url/);
    expect(out.stdout).toMatch(/Exit codes: 0 done, 1 migration failed, 2 bad usage/);
  });

  it.each([
    ["an unknown option", ["--url", "redis://127.0.0.1:1", "--bogus"], /Unknown option '--bogus'/],
    ["no URL", [], /give --url redis:\/\/host:port \(or set REDIS_URL\)/],
    ["several URLs without --cluster", ["--url", "redis://a", "--url", "redis://b"], /--cluster/],
    [
      "a prefix the new backend rejects (found before connecting)",
      ["--url", "redis://127.0.0.1:1", "--new-prefix", "a{b}"],
      /keyPrefix must not contain/,
    ],
  ])("exits 2 on %s", async (_, args, message) => {
    const out = await runBin(args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toMatch(/--help for usage/);
    expect(out.stdout).toBe("");
  });

  it("exits 1 when Redis cannot be reached", async () => {
    const out = await runBin(["--url", `redis://127.0.0.1:${await freePort()}`]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^Migration failed: .*ECONNREFUSED/m);
  });
});

describe.each(MODES)("syncguard-redis-migrate-2x against Redis (%s)", (mode: Mode) => {
  const urlArgs = (): string[] =>
    mode === "single"
      ? ["--url", redisUrl()]
      : ["--cluster", ...clusterNodes().flatMap((node) => ["--url", `redis://${node}`])];

  it("dry run, then the migration, then a second run that raises nothing", async () => {
    const oldPrefix = `sg2xbin-${mode}-${process.pid}`;
    const newPrefix = `sgnewbin-${mode}-${process.pid}`;
    const target = await connectTarget(mode);
    try {
      await seedCounter2x(target.client, oldPrefix, "job:1", 5);
      await seedCounter2x(target.client, oldPrefix, "tenant:ü:🔒", 89_999_999_999_999);
      const prefixArgs = ["--old-key-prefix", oldPrefix, "--key-prefix", newPrefix];
      const counter = layoutForKey(newPrefix, "job:1").fence;

      const dry = await runBin([...urlArgs(), ...prefixArgs, "--dry-run"]);
      expect(dry).toMatchObject({ code: 0, stderr: DEPRECATED });
      expect(dry.stdout).toMatch(/^Dry run: nothing was written\./);
      expect(dry.stdout).toMatch(/2\.x counters found: +2\n/);
      expect(dry.stdout).toMatch(/route counters to raise: 2\n/);
      expect(dry.stdout).toMatch(/highest 2\.x fence: +089999999999999/);
      expect(await target.client.get(counter)).toBeNull();

      // The old spellings still work, each with a notice naming the new one.
      const real = await runBin([
        ...urlArgs(),
        "--old-prefix",
        oldPrefix,
        "--new-prefix",
        newPrefix,
      ]);
      expect(real).toMatchObject({
        code: 0,
        stderr: `${DEPRECATED}--new-prefix is now --key-prefix.\n--old-prefix is now --old-key-prefix.\n`,
      });
      expect(real.stdout).toMatch(/^Migration done\./);
      expect(real.stdout).toMatch(/route counters raised: +2\n/);
      expect(await target.client.get(counter)).toBe("5");

      // On a single node the URL may come from REDIS_URL instead (keeps a password out of argv).
      const again =
        mode === "single"
          ? await runBin([...prefixArgs, "--json"], { REDIS_URL: redisUrl() })
          : await runBin([...urlArgs(), ...prefixArgs, "--json"]);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual({
        dryRun: false,
        keysScanned: 2,
        countersFound: 2,
        skipped: 0,
        skippedKeys: [],
        unmapped: 0,
        routeCounters: 2,
        countersRaised: 0,
        highestFence: "089999999999999",
      });
    } finally {
      await target.close();
    }
  });
});

describe("syncguard-redis-migrate-2x against a cluster that needs a password", () => {
  it("gives the URL's credentials to every node it discovers", async () => {
    const target = await connectTarget("cluster");
    const password = `pw-${process.pid}`;
    const oldPrefix = `sg2xauth-${process.pid}`;
    const newPrefix = `sgnewauth-${process.pid}`;
    try {
      for (const key of ["job:1", "job:2", "job:3", "job:4"]) {
        await seedCounter2x(target.client, oldPrefix, key, 7);
      }
      // Connections already open stay authenticated (this test's own clients keep working).
      await Promise.all(target.nodes.map((node) => node.configSet("requirepass", password)));
      const [root] = clusterNodes();
      const out = await runBin([
        "--cluster",
        "--url",
        `redis://:${password}@${root}`,
        "--old-key-prefix",
        oldPrefix,
        "--key-prefix",
        newPrefix,
        "--json",
      ]);
      expect(out).toMatchObject({ code: 0, stderr: DEPRECATED });
      expect(JSON.parse(out.stdout)).toMatchObject({ countersFound: 4, countersRaised: 4 });
    } finally {
      await Promise.all(target.nodes.map((node) => node.configSet("requirepass", "")));
      await target.close();
    }
  });
});
