// The cost of `durability` (ADR-040): uncontended acquire + release on a primary with one replica
// (both redis-server on free loopback ports, started here), with `durability: { replicas: 1 }`
// against without, in interleaved rounds of the same run. node-redis 6 client.
// Usage: pnpm build && node bench/durability.mjs [--rounds 6] [--pairs 2000]
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRedisBackend } from "@syncguard/redis";
import { createClient } from "redis";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "6" }, pairs: { type: "string", default: "2000" } },
});
const ROUNDS = Number(values.rounds);
const PAIRS = Number(values.pairs);

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function startServer(extra) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "syncguard-bench-durability-"));
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      ...extra,
    ],
    { stdio: "ignore" },
  );
  const deadline = performance.now() + 10_000;
  for (;;) {
    const probe = createClient({
      url: `redis://127.0.0.1:${port}`,
      socket: { reconnectStrategy: false },
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.destroy();
      return { port, child };
    } catch {
      probe.destroy();
      if (performance.now() > deadline) throw new Error("redis-server did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function waitForReplica(port) {
  const probe = createClient({ url: `redis://127.0.0.1:${port}` });
  await probe.connect();
  const deadline = performance.now() + 15_000;
  while (!/^slave0:.*state=online/m.test(await probe.info("replication"))) {
    if (performance.now() > deadline) throw new Error("the replica did not come online");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  probe.destroy();
}

/** Median µs per acquire + release pair over `PAIRS` sequential pairs on distinct keys. */
async function pairsMicros(backend, label, round) {
  const started = performance.now();
  for (let i = 0; i < PAIRS; i++) {
    const held = await backend.acquire({ key: `${label}:${round}:${i}`, ttlMs: 10_000 });
    if (!held.ok) throw new Error("acquire failed");
    await backend.release({ lockId: held.lockId });
  }
  return ((performance.now() - started) * 1000) / PAIRS;
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const primary = await startServer([]);
const replica = await startServer(["--replicaof", "127.0.0.1", String(primary.port)]);
try {
  await waitForReplica(primary.port);
  const client = createClient({ url: `redis://127.0.0.1:${primary.port}` });
  await client.connect();
  const contenders = {
    "without durability": createRedisBackend(client, { keyPrefix: "bd-plain" }),
    "durability { replicas: 1 }": createRedisBackend(client, {
      keyPrefix: "bd-wait",
      durability: { replicas: 1, timeoutMs: 1_000 },
    }),
  };
  const names = Object.keys(contenders);
  for (const name of names) await pairsMicros(contenders[name], `warm-${name}`, 0); // warm-up
  const results = Object.fromEntries(names.map((name) => [name, []]));
  const ratios = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 ? names : [...names].reverse();
    const micros = {};
    for (const name of order) micros[name] = await pairsMicros(contenders[name], name, round);
    for (const name of names) results[name].push(micros[name]);
    ratios.push(micros[names[1]] / micros[names[0]]);
  }
  console.log(`| setup (${ROUNDS} rounds × ${PAIRS} pairs, median) | µs per acquire + release |`);
  console.log("| --- | --- |");
  for (const name of names) console.log(`| ${name} | ${median(results[name]).toFixed(1)} |`);
  console.log(
    `\nratio durability / without (median of per-round ratios): ${median(ratios).toFixed(2)}×`,
  );
  for (const backend of Object.values(contenders)) await backend.close();
  client.destroy();
} finally {
  for (const { child } of [replica, primary]) child.kill("SIGTERM");
}
