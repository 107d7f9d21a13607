// A CommonJS app that installed only `ioredis` and `@syncguard/redis` (no `redis` package).
const { createLock, createRedisBackend } = require("@syncguard/redis");
const { Cluster, Redis } = require("ioredis");
const { performance } = require("node:perf_hooks");
const { runScenario } = require("./scenario.cjs");

async function main() {
  const url = process.env.REDIS_URL;
  const nodes = (process.env.REDIS_CLUSTER_NODES || "").split(",").filter(Boolean);
  if (!url || nodes.length === 0) throw new Error("REDIS_URL and REDIS_CLUSTER_NODES must be set");

  // lazyConnect + connect(): resolves once the client is ready (see main.mjs).
  const single = new Redis(url, { lazyConnect: true });
  await single.connect();
  const cluster = new Cluster(
    nodes.map((node) => {
      const [host, port] = node.split(":");
      return { host, port: Number(port) };
    }),
    { lazyConnect: true },
  );
  await cluster.connect();

  const lib = { createLock, createRedisBackend };
  const results = {
    single: await runScenario({ ...lib, client: single, name: "cjs-single" }),
    cluster: await runScenario({ ...lib, client: cluster, name: "cjs-cluster" }),
  };

  await single.quit();
  await cluster.quit();
  // Which build of @syncguard/redis this entry loaded (the test expects the CommonJS one).
  const resolved = require.resolve("@syncguard/redis");
  console.log(JSON.stringify({ ok: true, format: "cjs", resolved, ...results }));
  // How long the process stays up after its work: the library closes its idle wake-up connection itself.
  const doneAt = performance.now();
  process.on("exit", () => {
    console.log(JSON.stringify({ exitLagMs: Math.round(performance.now() - doneAt) }));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
