import { PassThrough } from "node:stream";
import { createRedisBackend, type RedisBackend } from "@syncguard/redis";
import { createClient, createCluster } from "redis";
import { main } from "../src";
import {
  batchListScenario,
  fenceScenario,
  forceReleaseScenario,
  permitScenario,
  type Run,
  runCli,
  spawnCli,
  unique,
  until,
} from "./helpers";

type Mode = "single" | "cluster";
type Client = "redis" | "ioredis";

function urls(mode: Mode): string[] {
  if (mode === "single") {
    if (!process.env.REDIS_URL)
      throw new Error("REDIS_URL is not set: run through scripts/services.mjs");
    return [process.env.REDIS_URL];
  }
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) throw new Error("REDIS_CLUSTER_NODES is not set: run through scripts/services.mjs");
  return nodes.split(",").map((node) => `redis://${node.trim()}`);
}

// Every command through @syncguard/redis/operator, on a single node and a cluster, connecting
// with node-redis and with ioredis (--client).
describe.each<[Mode, Client]>([
  ["single", "redis"],
  ["single", "ioredis"],
  ["cluster", "redis"],
  ["cluster", "ioredis"],
])("syncguard on Redis (%s, --client %s)", (mode, library) => {
  let client: ReturnType<typeof createClient> | ReturnType<typeof createCluster>;
  let backend: RedisBackend;
  const keyPrefix = unique(`cli-${mode}-${library}`);
  const connection = () => [
    ...urls(mode).flatMap((url) => ["--url", url]),
    ...(mode === "cluster" ? ["--cluster"] : []),
    "--client",
    library,
  ];
  const store = () => [...connection(), "--key-prefix", keyPrefix];
  const cli = (argv: string[]): Promise<Run> => runCli([...argv, ...store()]);

  beforeAll(async () => {
    client =
      mode === "single"
        ? createClient({ url: urls(mode)[0] as string })
        : createCluster({ rootNodes: urls(mode).map((url) => ({ url })) });
    client.on("error", () => {});
    await client.connect();
    backend = createRedisBackend(client, { keyPrefix, evictionPolicyCheck: "off" });
  });
  afterAll(async () => {
    await backend.close();
    await client.close();
  });

  it("inspect: a held key shows its fence and times (exit 0, no lockId); a free key exits 1", async () => {
    const held = await backend.acquire({ key: "report:daily", ttlMs: 60_000 });
    if (!held.ok) throw new Error("acquire failed");
    const text = await cli(["inspect", "report:daily"]);
    expect(text.code).toBe(0);
    // One aligned column of values.
    expect(text.stdout).toMatch(
      /^key {10}report:daily\nheld {9}yes\nfence {8}\d{15}\nacquired at {2}\d{4}-\d\d-\d\dT[\d:.]+Z\nexpires in {3}(\d+\.\d s|1 min 0 s)\nholder {7}lockId hash [0-9a-f]{16}\n$/,
    );
    expect(text.stdout).not.toContain(held.lockId);
    const json = JSON.parse((await cli(["inspect", "report:daily", "--json"])).stdout);
    expect(json).toMatchObject({ key: "report:daily", held: true, fence: held.fence });
    expect(json.expiresAtMs).toBe(held.expiresAtMs);
    expect(json.expiresInMs).toBeGreaterThan(50_000);
    expect(JSON.stringify(json)).not.toContain(held.lockId);
    await backend.release({ lockId: held.lockId });

    const free = await cli(["inspect", "report:daily"]);
    expect(free).toEqual({ code: 1, stdout: "key   report:daily\nheld  no\n", stderr: "" });
    expect(JSON.parse((await cli(["inspect", "report:daily", "--json"])).stdout)).toEqual({
      key: "report:daily",
      held: false,
    });
  });

  it("list: pages of 2 return every live lock once; released keys and other prefixes are absent", async () => {
    const batch = await batchListScenario(backend, cli);
    const table = await cli(["list", "--prefix", "other:"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /^KEY {6}FENCE {12}ACQUIRED AT {15}EXPIRES IN\nother:1 {2}\d{15} {2}\d{4}-\S+Z {2}\d+\.\d s\n$/,
    );
    expect((await cli(["list", "--prefix", "none:"])).stdout).toBe("No live locks.\n");
    await batch.release();
  });

  it("fence: reads the counter without moving it; none before any acquire", async () => {
    // Redis shares one counter among the keys of a route, and says so.
    expect(await fenceScenario(backend, cli, true)).toContain("shared with other keys");
  });

  it("release --force frees a key held by a live lock(): LockLost, fence counter untouched, next fence higher", async () => {
    await forceReleaseScenario(backend, cli, unique("stuck"));
  });

  it("list, inspect and release --force --permit show a semaphore's holders and force one permit out", async () => {
    await permitScenario(backend, cli, unique("workers"));
  });

  it("release --force asks on a terminal and does nothing unless the answer is yes", async () => {
    const key = unique("ask");
    const held = await backend.acquire({ key, ttlMs: 60_000 });
    if (!held.ok) throw new Error("acquire failed");
    const declined = await runCli(["release", "--force", key, ...store()], { answer: "n\n" });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain(`Force-release the lock on ${key} (fence ${held.fence}`);
    expect(declined.stderr).toContain("Not released.");
    expect(await backend.isLocked({ key })).toBe(true);
    const accepted = await runCli(["release", "--force", key, ...store()], { answer: "yes\n" });
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toBe(
      `Released the lock on ${key} (fence ${held.fence}). Its fence counter is unchanged.\n`,
    );
    expect(await backend.isLocked({ key })).toBe(false);
  });

  it("release --force does not release a lock that changed hands while the operator was asked", async () => {
    const key = unique("handover");
    const first = await backend.acquire({ key, ttlMs: 60_000 });
    if (!first.ok) throw new Error("acquire failed");
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    let stdout = "";
    let stderr = "";
    const running = main(["release", "--force", key, ...store()], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      stdin: tty,
      env: {},
    });
    await until(async () => stderr.includes("[y/N]"));
    // Meanwhile the holder finishes and another takes the key.
    await backend.release({ lockId: first.lockId });
    const second = await backend.acquire({ key, ttlMs: 60_000 });
    if (!second.ok) throw new Error("acquire failed");
    tty.end("y\n");
    expect(await running).toBe(1);
    expect(stderr).toContain(
      `changed hands while you were asked (fence ${first.fence} -> ${second.fence})`,
    );
    expect(stdout).toBe("");
    expect((await backend.lookup({ lockId: second.lockId }))?.fence).toBe(second.fence);
    await backend.release({ lockId: second.lockId });
  });

  it("migrate-2x: dry run, run, second run; values that are not counters are named and left alone", async () => {
    const old = unique(`sg2x-${mode}`);
    const fresh = unique(`sgnew-${mode}`);
    // syncguard 2.x's names: `P:fence:P:<key>` holding an integer.
    await client.set(`${old}:fence:${old}:job:1`, "41");
    const hash = `${old}:fence:${old}:a hash`;
    await client.hSet(hash, "fence", "900");
    const args = ["migrate-2x", ...connection(), "--old-key-prefix", old, "--key-prefix", fresh];

    const dry = await runCli([...args, "--dry-run"]);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run: nothing was written\.\n/);
    expect(dry.stdout).toMatch(/^ {2}2\.x counters found: +1$/m);
    expect(dry.stdout).toMatch(/^ {2}route counters to raise: +1$/m);
    expect(dry.stdout).toContain(
      `Skipped (not 2.x counters, left alone):\n  ${JSON.stringify(hash)} (hash)\n`,
    );

    const real = await runCli([...args, "--json"]);
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({
      dryRun: false,
      countersFound: 1,
      countersRaised: 1,
      skipped: 1,
      skippedKeys: [{ key: hash, type: "hash" }],
      highestFence: "000000000000041",
    });
    const migrated = createRedisBackend(client, { keyPrefix: fresh, evictionPolicyCheck: "off" });
    const next = await migrated.acquire({ key: "job:1", ttlMs: 5_000 });
    if (!next.ok) throw new Error("acquire failed");
    expect(BigInt(next.fence)).toBeGreaterThan(41n);
    await migrated.release({ lockId: next.lockId });
    await migrated.close();

    // The old spellings of the prefixes still work, each with a notice naming the new one.
    const again = await runCli([
      "migrate-2x",
      ...connection(),
      "--old-prefix",
      old,
      "--new-prefix",
      fresh,
      "--json",
    ]);
    expect(again.stderr).toBe(
      "syncguard: notice: --new-prefix is now --key-prefix\nsyncguard: notice: --old-prefix is now --old-key-prefix\n",
    );
    expect(JSON.parse(again.stdout)).toMatchObject({ countersFound: 1, countersRaised: 0 });
  });

  it("the built bin: --json output and exit codes, and release refuses without --yes off a terminal", async () => {
    const key = unique("bin");
    const held = await backend.acquire({ key, ttlMs: 60_000 });
    if (!held.ok) throw new Error("acquire failed");
    const inspect = await spawnCli(["inspect", key, "--json", ...store()]);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ key, held: true, fence: held.fence });
    const refused = await spawnCli(["release", "--force", key, ...store()]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("stdin is not a terminal: pass --yes");
    expect(await backend.isLocked({ key })).toBe(true);
    const released = await spawnCli(["release", "--force", "--yes", key, ...store()]);
    expect(released.code).toBe(0);
    expect(released.stderr).toBe(""); // the command reports it; no second log line from core
    expect(await backend.isLocked({ key })).toBe(false);
    const free = await spawnCli(["inspect", key, ...store()]);
    expect(free.code).toBe(1);
  });
});
