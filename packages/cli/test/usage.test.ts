import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import path from "node:path";
import { EXIT_CODES } from "../src";
import { closedPort, isolatedBin, runCli, spawnCli } from "./helpers";

describe("syncguard usage errors (exit 2, before any store is touched)", () => {
  it.each([
    [[], 0, "Usage: syncguard <command>"],
    [["--help"], 0, "Commands:"],
    [["list", "--help"], 0, "--cursor C"],
    [["frobnicate"], 2, 'unknown command "frobnicate"'],
    [["inspect", "--url", "redis://x"], 2, "inspect needs exactly one key"],
    [["inspect", "a", "b", "--url", "redis://x"], 2, "inspect needs exactly one key"],
    [["inspect", "k"], 2, "no store: give --url"],
    [
      ["inspect", "k", "--bogus", "--url", "redis://x"],
      2,
      "--bogus is not an option of inspect on Redis (Redis takes --url, --cluster, --key-prefix, --client)",
    ],
    [
      ["inspect", "k", "--ulr", "redis://x"],
      2,
      "--ulr is not an option of inspect; did you mean --url?",
    ],
    [
      ["inspect", "k", "--jsno", "--url", "redis://x"],
      2,
      "--jsno is not an option of inspect on Redis; did you mean --json?",
    ],
    [["list", "--prefx", "a", "--project", "p"], 2, "did you mean --prefix?"],
    [["migrate-2x", "k", "--url", "redis://x"], 2, 'migrate-2x takes no key: got "k"'],
    [["migrate-2x", "--url", "redis://x", "--limit", "3"], 2, "migrate-2x does not take --limit"],
    [
      ["inspect", "k", "--url", "redis://x", "--client", "jedis"],
      2,
      "--client must be redis or ioredis",
    ],
    [
      ["inspect", "k", "--url", "redis://x", "--key-prefix", "a{b}"],
      2,
      "keyPrefix must not contain",
    ],
    [
      ["inspect", "k", "--project", "p", "--collection", "a/b"],
      2,
      'collection must not contain "/"',
    ],
    [["inspect", "k", "--limit", "3", "--url", "redis://x"], 2, "inspect does not take --limit"],
    [["list", "--limit", "0", "--url", "redis://x"], 2, "--limit must be a positive integer"],
    [["list", "--limit", "1001", "--url", "redis://x"], 2, "--limit must be at most 1000"],
    [["inspect", "", "--url", "redis://x"], 2, "Key must not be empty"],
    [["fence", "x".repeat(5000), "--url", "redis://x"], 2, "4096"],
    [["release", "k", "--url", "redis://x"], 2, "release needs --force"],
    [
      ["fence", "k", "--url", "http://x"],
      2,
      "--url must be a redis://, rediss:// or postgres:// URL, not http:",
    ],
    [["fence", "k", "--url", "redis://a", "--url", "redis://b"], 2, "add --cluster"],
    [
      ["fence", "k", "--url", "postgres://app:pw-secret@db:notaport/app"],
      2,
      "--url has an invalid port: it must be a number from 0 to 65535 after the host",
    ],
    [["fence", "k", "--url", "redis://h", "--project", ""], 2, "name two stores"],
    [["fence", "k", "--project", ""], 2, "--project must not be empty"],
    [
      ["fence", "k", "--project", "p", "--url", "redis://x"],
      2,
      "name two stores (Redis and Firestore)",
    ],
    [
      ["fence", "k", "--project", "p", "--key-prefix", "x"],
      2,
      "--key-prefix is not an option of fence on Firestore",
    ],
    [
      ["fence", "k", "--collection", "c", "--url", "redis://x"],
      2,
      "--collection is not an option of fence on Redis",
    ],
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
    expect(run.stderr).toContain(
      `could not connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED) (Redis at redis://127.0.0.1:${port})`,
    );
  });
});

describe("syncguard store failures", () => {
  it("exits 3 when Redis is unreachable (the built bin), never showing the URL's password", async () => {
    const port = await closedPort();
    const run = await spawnCli(["fence", "k", "--url", `redis://127.0.0.1:${port}`]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^syncguard: ServiceUnavailable: could not connect to 127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\) \(Redis at redis:\/\/127\.0\.0\.1:\d+\)\n$/,
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

  it("exits 4 with an install hint when the store's package is not installed (-g for a global syncguard)", async () => {
    // The bin with its one dependency (@syncguard/core) and no store package, as
    // `npm install -g @syncguard/cli` alone leaves it.
    const bin = isolatedBin({ "@syncguard/core": { link: "core" } });
    const redis = await spawnCli(["inspect", "k", "--url", "redis://127.0.0.1:1"], { bin });
    expect(redis.code).toBe(4);
    expect(redis.stderr).toBe(
      "syncguard: @syncguard/redis is not installed: Redis needs npm install -g @syncguard/redis redis (beside a global syncguard), or npm install @syncguard/redis redis (in your project)\n",
    );
    const firestore = await spawnCli(["inspect", "k", "--project", "p"], { bin });
    expect(firestore.code).toBe(4);
    expect(firestore.stderr).toContain(
      "npm install -g @syncguard/firestore @google-cloud/firestore (beside a global syncguard)",
    );
    const postgres = await spawnCli(["migrate-2x", "--url", "postgres://h/db"], { bin });
    expect(postgres.code).toBe(4);
    expect(postgres.stderr).toContain("npm install -g @syncguard/postgres pg");
    // --help still works, and says what to install for each store.
    const help = await spawnCli(["--help"], { bin });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Redis: @syncguard/redis is not installed (npm install -g");
  });

  it("exits 4 when the store package is there but no client library is", async () => {
    const bin = isolatedBin({
      "@syncguard/core": { link: "core" },
      "@syncguard/redis": { copy: "redis" },
      "@syncguard/postgres": { copy: "postgres" },
    });
    const redis = await spawnCli(["inspect", "k", "--url", "redis://127.0.0.1:1"], { bin });
    expect(redis.code).toBe(4);
    expect(redis.stderr).toBe(
      "syncguard: neither redis (node-redis) nor ioredis is installed; Redis needs one: npm install -g redis (beside a global syncguard), or npm install redis (in your project)\n",
    );
    const named = await spawnCli(["inspect", "k", "--url", "redis://h", "--client", "ioredis"], {
      bin,
    });
    expect(named.code).toBe(4);
    expect(named.stderr).toContain("ioredis is not installed: npm install -g ioredis");
    const postgres = await spawnCli(["inspect", "k", "--url", "postgres://h/db"], { bin });
    expect(postgres.code).toBe(4);
    expect(postgres.stderr).toContain("npm install -g pg");
  });

  it("exits 4 when the store package is too old to have an ./operator entry", async () => {
    const bin = isolatedBin({ "@syncguard/core": { link: "core" } });
    const old = path.join(path.dirname(bin), "node_modules", "@syncguard", "redis");
    mkdirSync(old, { recursive: true });
    writeFileSync(
      path.join(old, "package.json"),
      JSON.stringify({
        name: "@syncguard/redis",
        version: "0.1.0",
        exports: { ".": "./index.js" },
      }),
    );
    writeFileSync(path.join(old, "index.js"), "module.exports = {};\n");
    const run = await spawnCli(["inspect", "k", "--url", "redis://127.0.0.1:1"], { bin });
    expect(run.code).toBe(4);
    expect(run.stderr).toContain(
      "@syncguard/redis is too old for this syncguard (it has no ./operator entry): npm install -g @syncguard/redis@latest",
    );
  });
});

describe("syncguard --help", () => {
  it("lists every store's options from its operator, and migrate-2x's own", async () => {
    const main = await runCli(["--help"]);
    expect(main.stdout).toContain(
      "migrate-2x              Carry syncguard 2.x fence counters over",
    );
    expect(main.stdout).toMatch(/^Redis \(@syncguard\/redis\):\n {2}--url URL/m);
    expect(main.stdout).toMatch(/^ {2}--key-prefix P +The backend's keyPrefix/m);
    expect(main.stdout).toMatch(/^ {2}--project ID +Firestore project id/m);
    expect(main.stdout).toMatch(/^ {2}--table-prefix P +The backend's tablePrefix/m);
    expect(main.stdout).not.toContain("--old-key-prefix");
    const migrate = await runCli(["migrate-2x", "--help"]);
    expect(migrate.stdout).toMatch(/^ {2}--old-key-prefix P +The keyPrefix syncguard 2\.x used/m);
    expect(migrate.stdout).toMatch(
      /^ {2}--old-fence-collection C {2}The fenceCollection syncguard/m,
    );
    expect(migrate.stdout).not.toContain("PostgreSQL (@syncguard/postgres)");
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
