/**
 * Reaching Redis, and every way it can go wrong, said for what it is whichever client connects:
 * a URL the client would misread is a usage error naming the part (exit 2, nothing contacted), a
 * refused password is "authentication failed" and an unreachable server "could not connect to
 * host:port" (exit 3), and a server whose mode (Cluster or not) is not the one `--cluster` says is
 * refused (exit 2) instead of giving partial answers. No password is ever printed.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { createRedisBackend } from "@syncguard/redis";
import { createClient } from "redis";
import { closedPort, type Run, runCli, startRedisServer, unique } from "./helpers";

const PASSWORD = "pw-never-shown-7";
const ACL_USER = `sg-cli-connect-${process.pid}`;

function redisHost(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error("REDIS_URL is not set: run through scripts/services.mjs");
  return new URL(url).host;
}

function clusterNodes(): string[] {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) throw new Error("REDIS_CLUSTER_NODES is not set: run through scripts/services.mjs");
  return nodes.split(",").map((node) => node.trim());
}

function expectNoPassword(run: Run): void {
  expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  expect(run.stdout + run.stderr).not.toContain(encodeURIComponent(PASSWORD));
}

let admin: ReturnType<typeof createClient>;
let closed: string;

beforeAll(async () => {
  admin = createClient({ url: process.env.REDIS_URL });
  admin.on("error", () => {});
  await admin.connect();
  await admin.sendCommand(["ACL", "SETUSER", ACL_USER, "on", `>${PASSWORD}`, "~*", "&*", "+@all"]);
  closed = `127.0.0.1:${await closedPort()}`;
});
afterAll(async () => {
  await admin.sendCommand(["ACL", "DELUSER", ACL_USER]);
  await admin.close();
});

describe.each(["redis", "ioredis"])("syncguard --client %s", (library) => {
  const cli = (argv: string[]) => runCli([...argv, "--client", library, "--timeout-ms", "3000"]);

  // Each against a port nothing listens on: contacting it would be exit 3, not 2.
  it.each([
    [
      "a port that is not a number",
      () => `redis://:${PASSWORD}@${closed.split(":")[0]}:notaport`,
      /--url has an invalid port/,
    ],
    [
      "a port out of range",
      () => `redis://:${PASSWORD}@127.0.0.1:70000`,
      /--url has an invalid port/,
    ],
    [
      "a query parameter no client reads",
      () => `redis://:${PASSWORD}@${closed}?sslcert=/nonexistent`,
      /--url has the query parameter "sslcert"/,
    ],
    [
      "a malformed percent-escape",
      () => `redis://:a%zz${PASSWORD}@${closed}`,
      /password in --url has a "%" that is not a percent-escape/,
    ],
    [
      "a database that is not a number",
      () => `redis://:${PASSWORD}@${closed}/abc`,
      /the path of --url must be a database number/,
    ],
  ])("refuses %s with exit 2, naming it, before connecting", async (_, url, message) => {
    const run = await cli(["inspect", "k", "--url", url()]);
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(
      /percent-encode reserved characters|URI malformed|Invalid pathname/,
    );
    expectNoPassword(run);
  });

  it("refuses a database the server does not have (exit 2), never reading database 0 instead", async () => {
    const run = await cli(["inspect", "k", "--url", `redis://${redisHost()}/99999`]);
    expect(run.stderr).toMatch(/database 99999 .*out of range/);
    expect(run.code).toBe(2);
  });

  it("a wrong password: exit 3, authentication failed", async () => {
    const run = await cli([
      "inspect",
      "k",
      "--url",
      `redis://${ACL_USER}:wrong-${PASSWORD}@${redisHost()}`,
    ]);
    expect(run.stderr).toMatch(/^syncguard: AuthFailed: authentication failed/);
    expect(run.code).toBe(3);
    expect(run.stderr).not.toContain("Connection is closed");
    expectNoPassword(run);
  });

  it("no password where the server requires one: exit 3, authentication failed", async () => {
    const server = await startRedisServer(["--requirepass", PASSWORD]);
    try {
      const run = await cli(["inspect", "k", "--url", `redis://${server.host}`]);
      expect(run.stderr).toMatch(
        /^syncguard: AuthFailed: authentication failed: the server requires a password and --url gives none/,
      );
      expect(run.code).toBe(3);
      expectNoPassword(run);
    } finally {
      await server.stop();
    }
  });

  it("an unreachable server: exit 3, could not connect to host:port", async () => {
    const run = await cli(["inspect", "k", "--url", `redis://:${PASSWORD}@${closed}`]);
    expect(run.stderr).toMatch(
      /^syncguard: ServiceUnavailable: could not connect to 127\.0\.0\.1:\d+: connection refused/,
    );
    expect(run.code).toBe(3);
    expect(run.stderr).not.toContain("Connection is closed");
    expectNoPassword(run);
  });

  it("one Cluster node without --cluster is refused (exit 2) instead of partial answers", async () => {
    const node = `redis://${clusterNodes()[0]}`;
    for (const command of [["inspect", "cl:3"], ["list"], ["fence", "cl:3"]]) {
      const run = await cli([...command, "--url", node, "--key-prefix", unique("mode")]);
      expect(run.stderr).toMatch(/is a Redis Cluster node: add --cluster/);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
    }
  });

  it("--cluster against a server that is not a Cluster is refused (exit 2)", async () => {
    const run = await cli(["inspect", "k", "--url", `redis://${redisHost()}`, "--cluster"]);
    expect(run.stderr).toMatch(/is not a Redis Cluster node .*: remove --cluster/);
    expect(run.code).toBe(2);
  });
});

describe("query parameters", () => {
  it("ioredis reads ?username= and ?password= alone; node-redis never, and each says where they go", async () => {
    const query = `redis://${redisHost()}/0?username=${ACL_USER}&password=${PASSWORD}`;
    const io = await runCli(["inspect", unique("q"), "--url", query, "--client", "ioredis"]);
    expect(io.stderr).toBe("");
    expect(io.code).toBe(1);
    const node = await runCli(["inspect", "k", "--url", query, "--client", "redis"]);
    expect(node.stderr).toMatch(
      /--url has the query parameter "username", which node-redis does not read: the user name and password go before the host/,
    );
    expect(node.code).toBe(2);
    expectNoPassword(node);
    // Beside a user name before the host, ioredis would drop ?password= and send none.
    const mixed = `redis://${ACL_USER}@${redisHost()}/0?password=${PASSWORD}`;
    const ignored = await runCli(["inspect", "k", "--url", mixed, "--client", "ioredis"]);
    expect(ignored.stderr).toMatch(
      /--url has the query parameter "password", which ioredis ignores when the URL has a user name or password before the host/,
    );
    expect(ignored.code).toBe(2);
    expectNoPassword(ignored);
  });
});

describe("the operator ACL of the README", () => {
  const OPS_USER = `sg-cli-ops-${process.pid}`;
  beforeAll(async () => {
    const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
    const line = /^ACL SETUSER syncguard-ops .*$/m.exec(readme)?.[0];
    if (!line) throw new Error("the README has no operator ACL line");
    const words = line.split(" ").slice(2);
    words[0] = OPS_USER;
    await admin.sendCommand([
      "ACL",
      "SETUSER",
      ...words.map((word) => (word === ">CHANGE-ME" ? `>${PASSWORD}` : word)),
    ]);
  });
  afterAll(async () => {
    await admin.sendCommand(["ACL", "DELUSER", OPS_USER]);
  });

  it.each(["redis", "ioredis"])(
    "is enough for every command, the Cluster-mode check included (--client %s)",
    async (library) => {
      const backend = createRedisBackend(admin, { evictionPolicyCheck: "off" });
      const key = unique("ops");
      const held = await backend.acquire({ key, ttlMs: 60_000 });
      if (!held.ok) throw new Error("acquire failed");
      const url = `redis://${OPS_USER}:${PASSWORD}@${redisHost()}`;
      const cli = (argv: string[]) => runCli([...argv, "--url", url, "--client", library]);
      for (const argv of [
        ["inspect", key],
        ["list", "--prefix", key],
        ["fence", key],
      ]) {
        const run = await cli(argv);
        expect(run.stderr).toBe("");
        expect(run.code).toBe(0);
      }
      const released = await cli(["release", "--force", "--yes", key]);
      expect(released.stderr).toBe("");
      expect(released.code).toBe(0);
      expect(await backend.isLocked({ key })).toBe(false);
      await backend.close();
    },
  );
});
