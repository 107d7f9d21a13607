/**
 * node-redis 5 is inside the peer range: the CLI connects with it as with 6. A failed connect
 * must report the connection's own error (exit 3), never an error of the cleanup after it
 * (node-redis 5's destroy() throws "The client is closed" on a client that never connected).
 * @syncguard/redis is copied beside the bin with node-redis 5 as its `redis`, as an install
 * with `redis@5` leaves it.
 */
import { closedPort, isolatedBin, spawnCli } from "./helpers";

let bin: string;
beforeAll(() => {
  bin = isolatedBin({
    "@syncguard/core": { link: "core" },
    "@syncguard/redis": { copy: "redis" },
    redis: "redis5",
  });
});

function clusterUrls(): string[] {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) throw new Error("REDIS_CLUSTER_NODES is not set: run through scripts/services.mjs");
  return nodes.split(",").flatMap((node) => ["--url", `redis://${node.trim()}`]);
}

describe("syncguard with node-redis 5 installed", () => {
  it.each([["inspect", "k"], ["migrate-2x"]])(
    "%s exits 3 with the connection error when Redis refuses the connection",
    async (...command) => {
      const port = await closedPort();
      const run = await spawnCli([...command, "--url", `redis://127.0.0.1:${port}`], { bin });
      expect(run.stderr).toBe(
        `syncguard: ServiceUnavailable: could not connect to 127.0.0.1:${port}: connection refused (ECONNREFUSED) (Redis at redis://127.0.0.1:${port})\n`,
      );
      expect(run.code).toBe(3);
    },
  );

  it("runs a command on a single node and on a cluster, with node-redis 5", async () => {
    const url = process.env.REDIS_URL;
    if (!url) throw new Error("REDIS_URL is not set: run through scripts/services.mjs");
    const single = await spawnCli(["inspect", "never:held", "--json", "--url", url], { bin });
    expect(single).toEqual({ code: 1, stdout: expect.any(String), stderr: "" });
    expect(JSON.parse(single.stdout)).toEqual({ key: "never:held", held: false });
    const cluster = await spawnCli(["fence", "never:held", "--cluster", ...clusterUrls()], { bin });
    expect(cluster.stderr).toBe("");
    expect(cluster.code).toBe(0);
    // It was node-redis 5 that connected: the copy of @syncguard/redis resolves it beside itself.
    const version = require(
      require.resolve("redis/package.json", { paths: [`${bin}/..`] }),
    ).version;
    expect(version).toMatch(/^5\./);
  });
});
