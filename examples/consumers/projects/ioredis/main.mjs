// An ES module app that installed only `ioredis` and `@syncguard/redis` (no `redis` package).

import { performance } from "node:perf_hooks";
import { createLock, createRedisBackend } from "@syncguard/redis";
import { Cluster, Redis } from "ioredis";
import scenario from "./scenario.cjs";

const url = process.env.REDIS_URL;
const nodes = (process.env.REDIS_CLUSTER_NODES ?? "").split(",").filter(Boolean);
if (!url || nodes.length === 0) throw new Error("REDIS_URL and REDIS_CLUSTER_NODES must be set");

// lazyConnect + connect(): resolves once the client is ready. The backend refuses to queue
// commands on a client that is not connected yet (ServiceUnavailable instead of a silent wait).
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
  single: await scenario.runScenario({ ...lib, client: single, name: "esm-single" }),
  cluster: await scenario.runScenario({ ...lib, client: cluster, name: "esm-cluster" }),
};

await single.quit();
await cluster.quit();
// Which build of @syncguard/redis this entry loaded (the test expects the ESM one).
const resolved = import.meta.resolve("@syncguard/redis");
console.log(JSON.stringify({ ok: true, format: "esm", resolved, ...results }));
// How long the process stays up after its work: the library closes its idle wake-up connection itself.
const doneAt = performance.now();
process.on("exit", () => {
  console.log(JSON.stringify({ exitLagMs: Math.round(performance.now() - doneAt) }));
});
