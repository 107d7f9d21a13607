import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { EXIT_CODES } from "../src";
import { BIN, closedPort, runCli, spawnCli } from "./helpers";

describe("syncguard usage errors (exit 2, before any store is touched)", () => {
  it.each([
    [[], 0, "Usage: syncguard <command>"],
    [["--help"], 0, "Commands:"],
    [["list", "--help"], 0, "--cursor C"],
    [["frobnicate"], 2, 'unknown command "frobnicate"'],
    [["inspect", "--url", "redis://x"], 2, "inspect needs exactly one key"],
    [["inspect", "a", "b", "--url", "redis://x"], 2, "inspect needs exactly one key"],
    [["inspect", "k"], 2, "no store: give --url"],
    [["inspect", "k", "--bogus"], 2, "Unknown option '--bogus'"],
    [["inspect", "k", "--limit", "3", "--url", "redis://x"], 2, "inspect does not take --limit"],
    [["list", "--limit", "0", "--url", "redis://x"], 2, "--limit must be a positive integer"],
    [["list", "--limit", "1001", "--url", "redis://x"], 2, "--limit must be at most 1000"],
    [["inspect", "", "--url", "redis://x"], 2, "Key must not be empty"],
    [["fence", "x".repeat(5000), "--url", "redis://x"], 2, "4096"],
    [["release", "k", "--url", "redis://x"], 2, "release needs --force"],
    [
      ["fence", "k", "--url", "http://x"],
      2,
      "--url must be a redis://, rediss:// or postgres:// URL",
    ],
    [["fence", "k", "--url", "redis://a", "--url", "redis://b"], 2, "add --cluster"],
    [["fence", "k", "--project", "p", "--key-prefix", "x"], 2, "cannot be combined"],
    [["fence", "k", "--collection", "c", "--url", "redis://x"], 2, "add --project"],
  ] as [string[], number, string][])("syncguard %j exits %i", async (argv, code, text) => {
    const run = await runCli(argv);
    expect(run.code).toBe(code);
    expect(code === 0 ? run.stdout : run.stderr).toContain(text);
  });

  it("refuses release --force without --yes when stdin is not a terminal, before connecting", async () => {
    const port = await closedPort(); // would be exit 3 if it tried to connect
    const run = await runCli(["release", "--force", "k", "--url", `redis://127.0.0.1:${port}`]);
    expect(run.code).toBe(EXIT_CODES.usage);
    expect(run.stderr).toContain("stdin is not a terminal: pass --yes");
  });

  it("takes the Redis URL from REDIS_URL when no store option is given", async () => {
    const port = await closedPort();
    const run = await runCli(["inspect", "k"], { env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
    expect(run.code).toBe(EXIT_CODES.store);
    expect(run.stderr).toContain(`cannot connect to Redis at redis://127.0.0.1:${port}`);
  });
});

describe("syncguard store failures", () => {
  it("exits 3 when Redis is unreachable (the built bin), never showing the URL's password", async () => {
    const port = await closedPort();
    const run = await spawnCli(["fence", "k", "--url", `redis://127.0.0.1:${port}`]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^syncguard: cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+: /,
    );
    const withPassword = `redis://ops:not-to-be-shown@127.0.0.1:${port}`;
    const secret = await spawnCli(["fence", "k", "--url", withPassword]);
    expect(secret.code).toBe(3);
    expect(secret.stderr).toContain("redis://ops:***@127.0.0.1");
    expect(secret.stderr + secret.stdout).not.toContain("not-to-be-shown");
  });

  it("exits 3 when the Firestore emulator is unreachable, within --timeout-ms", async () => {
    const port = await closedPort();
    const run = await spawnCli(["inspect", "k", "--project", "demo-cli", "--timeout-ms", "1500"], {
      env: { FIRESTORE_EMULATOR_HOST: `127.0.0.1:${port}` },
    });
    // Whichever bound fires first: the backend's operationTimeoutMs or the CLI's own deadline.
    expect(run.stderr).toMatch(
      /^syncguard: ((ServiceUnavailable|NetworkTimeout): |Firestore did not answer within 1500 ms)/,
    );
    expect(run.code).toBe(3);
  });

  it("exits 4 with an install hint when the store's package is not installed", async () => {
    // The bin with its one dependency (@syncguard/core) and no store package, as
    // `npm install @syncguard/cli` alone leaves it.
    const dir = mkdtempSync(path.join(tmpdir(), "syncguard-cli-"));
    const bin = path.join(dir, "bin.js");
    copyFileSync(BIN, bin);
    mkdirSync(path.join(dir, "node_modules", "@syncguard"), { recursive: true });
    symlinkSync(
      path.resolve(__dirname, "..", "..", "core"),
      path.join(dir, "node_modules", "@syncguard", "core"),
      "dir",
    );
    const redis = await spawnCli(["inspect", "k", "--url", "redis://127.0.0.1:1"], {
      bin,
      cwd: dir,
    });
    expect(redis.code).toBe(4);
    expect(redis.stderr).toContain(
      "@syncguard/redis is not installed; this store needs: npm install @syncguard/redis redis",
    );
    const firestore = await spawnCli(["inspect", "k", "--project", "p"], { bin, cwd: dir });
    expect(firestore.code).toBe(4);
    expect(firestore.stderr).toContain("npm install @syncguard/firestore @google-cloud/firestore");
  });
});

it("prints its version", async () => {
  const run = await spawnCli(["--version"]);
  expect(run.code).toBe(0);
  expect(run.stdout).toBe(`${require("../package.json").version}\n`);
});

describe("syncguard against a server that accepts connections and never answers", () => {
  let server: Server;
  let port: number;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.push(socket); // read nothing, answer nothing
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it("exits 3 within --timeout-ms instead of hanging (the built bin)", async () => {
    const run = await spawnCli([
      "inspect",
      "k",
      "--url",
      `redis://127.0.0.1:${port}`,
      "--timeout-ms",
      "500",
    ]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("no answer within 500 ms");
  });
});
