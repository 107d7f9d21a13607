/**
 * Least privilege (README "Least privilege"): the whole conformance suite, multi-process race
 * included, runs as a user holding only the documented ACL, on a single node and on the cluster;
 * the same user can neither touch keys nor use channels outside its prefix; and a user missing a
 * needed permission gets AuthFailed naming what is missing.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runConformance, type SuiteName } from "@syncguard/conformance";
import { isLockError, type LockError } from "@syncguard/core";
import { Redis } from "ioredis";
import { createClient, createCluster } from "redis";
import { createRedisBackend, type RedisBackend, type RedisClientLike } from "../src";
import { CLIENT_LABELS, connectWith } from "./helpers/clients";
import { clusterNodes, MODES, type Mode, redisUrl } from "./helpers/services";

/** The documented ACL rules for a key prefix (README, specs/redis-backend.md). */
export function syncguardAclRules(prefix: string): string[] {
  return [
    "resetkeys",
    `~${prefix}:{??}:*`,
    "resetchannels",
    `&${prefix}:{??}:released:*`,
    "-@all",
    ...["+evalsha", "+eval", "+get"],
    ...["+set", "+getdel", "+del", "+incr", "+decr", "+pexpire", "+pttl", "+setrange", "+time"],
    ...["+zadd", "+zpopmin", "+zrem"],
    // Semaphore permits.
    ...["+zrange", "+zrangebyscore", "+zremrangebyscore", "+zscore", "+zcard"],
    ...["+hset", "+hget", "+hmget", "+hdel", "+pexpireat"],
    ...["+publish", "+spublish"],
    ...["+subscribe", "+unsubscribe", "+ssubscribe", "+sunsubscribe"],
    ...["+info", "+cluster|slots", "+cluster|info", "+client|setname"],
  ];
}

// Unique per run: other test files share these servers.
const run = randomBytes(4).toString("hex");
const USER = `sgacl-${run}`;
const PASSWORD = randomBytes(12).toString("hex");
const PREFIX = `sgacl${run}`;

const adminClient = (url: string) => createClient({ url });
type Admin = ReturnType<typeof adminClient>;
let singleAdmin: Admin;
/** One admin connection per cluster node, masters and replicas: ACLs are per node. */
let clusterAdmins: Admin[] = [];
const admins = (mode: Mode | "all") =>
  mode === "single"
    ? [singleAdmin]
    : mode === "cluster"
      ? clusterAdmins
      : [singleAdmin, ...clusterAdmins];

async function setUser(mode: Mode | "all", name: string, rules: string[]): Promise<void> {
  for (const admin of admins(mode)) {
    await admin.sendCommand(["ACL", "SETUSER", name, "reset", "on", `>${PASSWORD}`, ...rules]);
  }
}

async function dropUser(name: string): Promise<void> {
  for (const admin of admins("all")) await admin.sendCommand(["ACL", "DELUSER", name]);
}

/** ACL LOG entries of `name` on the given nodes, as "reason:object". */
async function refusals(mode: Mode, name: string): Promise<string[]> {
  const found: string[] = [];
  for (const admin of admins(mode)) {
    const log = (await admin.sendCommand(["ACL", "LOG"])) as unknown[];
    for (const raw of log) {
      const entry = Array.isArray(raw)
        ? Object.fromEntries(
            raw.flatMap((value, i) => (i % 2 === 0 ? [[value, raw[i + 1]]] : [])) as [
              string,
              unknown,
            ][],
          )
        : (raw as Record<string, unknown>);
      if (entry.username === name) found.push(`${String(entry.reason)}:${String(entry.object)}`);
    }
  }
  return found;
}

const singleAs = (username: string) =>
  createClient({ url: redisUrl(), username, password: PASSWORD });
const clusterAs = (username: string) =>
  createCluster({
    rootNodes: clusterNodes().map((node) => ({ url: `redis://${node}` })),
    defaults: { username, password: PASSWORD },
  });

function connectAs(mode: Mode, username: string) {
  const client = mode === "single" ? singleAs(username) : clusterAs(username);
  client.on("error", () => {});
  return client;
}

async function failure(promise: Promise<unknown>): Promise<LockError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isLockError(error)) throw new Error(`expected a LockError, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  singleAdmin = adminClient(redisUrl());
  await singleAdmin.connect();
  // Every node the cluster knows, replicas included, not only the seeds we were given.
  const seed = adminClient(`redis://${clusterNodes()[0]}`);
  await seed.connect();
  const nodes = String(await seed.sendCommand(["CLUSTER", "NODES"]))
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.includes("fail"))
    .map((line) => (line.split(" ")[1] as string).split("@")[0] as string);
  await seed.close();
  clusterAdmins = await Promise.all(
    nodes.map(async (node) => {
      const admin = adminClient(`redis://${node}`);
      await admin.connect();
      return admin;
    }),
  );
  await setUser("all", USER, syncguardAclRules(PREFIX));
  for (const admin of admins("all")) await admin.sendCommand(["ACL", "LOG", "RESET"]);
});

afterAll(async () => {
  await dropUser(USER).catch(() => {});
  await Promise.all(admins("all").map((admin) => admin?.close()));
});

const IOREDIS_ACL_SUITES: SuiteName[] = [
  ...["acquire", "release", "extend", "isLocked", "lookup"],
  ...["lock", "lease", "race", "semaphore", "election", "secrets"],
] as SuiteName[];

/** The whole suite on both libraries: ioredis sends commands of its own (ready check, slots). */
const ACL_RUNS = MODES.flatMap((mode) =>
  (["redis", "ioredis"] as const).map((library) => ({ mode, library })),
);

describe.each(ACL_RUNS)("the documented ACL on $mode with $library", ({ mode, library }) => {
  let connection: { client: RedisClientLike; close(): Promise<void> } | undefined;
  let backend: RedisBackend | undefined;
  const env: Record<string, string> = {
    SYNCGUARD_REDIS_CLIENT: library,
    SYNCGUARD_REDIS_MODE: mode,
    SYNCGUARD_REDIS_PREFIX: PREFIX,
    SYNCGUARD_REDIS_USERNAME: USER,
    SYNCGUARD_REDIS_PASSWORD: PASSWORD,
  };
  if (mode === "single") env.REDIS_URL = redisUrl();
  else env.REDIS_CLUSTER_NODES = clusterNodes().join(",");

  // Each run's refusals are its own: the previous run's prefix checks are refused on purpose.
  beforeAll(async () => {
    for (const admin of admins(mode)) await admin.sendCommand(["ACL", "LOG", "RESET"]);
  });

  runConformance({
    name: `redis (${mode}, ${CLIENT_LABELS[library]}) as a least-privilege ACL user`,
    capabilities: { subscribe: true, semaphore: true },
    // The secrets suite checks every message and event of the run for the user's password.
    secrets: [PASSWORD],
    createBackend: async () => {
      connection = await connectWith(library, mode, { username: USER, password: PASSWORD });
      backend = createRedisBackend(connection.client, { keyPrefix: PREFIX });
      return backend;
    },
    teardown: async () => {
      await backend?.close();
      await connection?.close();
    },
    worker: { modulePath: join(__dirname, "fixtures", "conformance-worker.js"), env },
    // node-redis runs everything; ioredis the suites that send each command the backend has
    // (the timing-only suites send nothing new).
    ...(library === "ioredis" ? { suites: IOREDIS_ACL_SUITES } : {}),
  });

  it("the suite met no ACL refusal (the ACL is complete)", async () => {
    expect(await refusals(mode, USER)).toEqual([]);
  });

  // The user's reach is the server's business, not the client's: checked once per deployment.
  if (library !== "redis") return;
  it("the same user cannot read or write keys, nor subscribe, outside its prefix", async () => {
    const user = connectAs(mode, USER);
    await user.connect();
    try {
      await expect(user.get("app:secret")).rejects.toThrow(/^NOPERM/);
      await expect(user.set("app:secret", "x")).rejects.toThrow(/^NOPERM/);
      // Same prefix, but not a SyncGuard name: the pattern is narrower than "prefix*".
      await expect(user.get(`${PREFIX}:plain`)).rejects.toThrow(/^NOPERM/);
      await expect(user.get(`${PREFIX}other:{ab}:lock:x`)).rejects.toThrow(/^NOPERM/);
      const listener = () => {};
      if (mode === "single") {
        const single = user as ReturnType<typeof singleAs>;
        await expect(single.sendCommand(["FLUSHALL"])).rejects.toThrow(/^NOPERM/);
        await expect(single.subscribe("app:events", listener)).rejects.toThrow(/^NOPERM/);
        await expect(single.publish("app:events", "x")).rejects.toThrow(/^NOPERM/);
      } else {
        const cluster = user as ReturnType<typeof clusterAs>;
        await expect(cluster.sSubscribe("app:events", listener)).rejects.toThrow(/^NOPERM/);
      }
    } finally {
      await user.close();
    }
  });
});

describe("the README's ACL", () => {
  it("is the ACL this file tests, in both of its forms (ACL SETUSER and users.acl)", () => {
    const readme = readFileSync(join(__dirname, "..", "README.md"), "utf8");
    const lines = readme
      .split("\n")
      .filter((line) => /^(ACL SETUSER|user) syncguard /.test(line))
      .map((line) => line.slice(line.indexOf(" resetkeys ") + 1));
    expect(lines).toHaveLength(2);
    for (const rules of lines) expect(rules).toBe(syncguardAclRules("syncguard").join(" "));
  });
});

describe("a user missing a needed permission gets AuthFailed naming it", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["evalsha", ["-evalsha"], /permission denied for command EVALSHA \(NOPERM/],
    ["incr (inside the acquire script)", ["-incr"], /permission denied for command INCR \(ERR/],
    ["the key pattern", ["resetkeys", "~other:*"], /permission denied for a key it may not access/],
  ];
  it.each(cases)("missing %s", async (label, change, expected) => {
    const name = `${USER}-${label.split(" ")[0]}`;
    await setUser("single", name, [...syncguardAclRules(PREFIX), ...change]);
    const node = connectAs("single", name);
    const io = new Redis(redisUrl(), { username: name, password: PASSWORD, lazyConnect: true });
    io.on("error", () => {});
    try {
      await node.connect();
      await io.connect();
      for (const client of [node, io]) {
        const backend = createRedisBackend(client, {
          keyPrefix: PREFIX,
          evictionPolicyCheck: "off",
        });
        const error = await failure(backend.acquire({ key: `missing-${label}`, ttlMs: 1_000 }));
        expect(error.code).toBe("AuthFailed");
        expect(error.message).toMatch(/^Redis acquire failed: /);
        expect(error.message).toMatch(expected);
        await backend.close();
      }
    } finally {
      await node.close();
      io.disconnect();
      await dropUser(name);
    }
  });

  it("with durability: without +wait the first acquire is InvalidArgument naming the grant; with it, WAIT is answered", async () => {
    const name = `${USER}-nowait`;
    await setUser("single", name, syncguardAclRules(PREFIX));
    const client = connectAs("single", name);
    try {
      await client.connect();
      const durability = { replicas: 1, timeoutMs: 50, onShortfall: "warn" } as const;
      const logger = { warn: () => {}, error: () => {} };
      const refused = createRedisBackend(client, { keyPrefix: PREFIX, durability, logger });
      const error = await failure(refused.acquire({ key: "nowait", ttlMs: 1_000 }));
      expect(error.code).toBe("InvalidArgument");
      expect(error.message).toMatch(
        /durability needs WAIT.*NOPERM.*grant it to the ACL user \(\+wait\)/,
      );
      await refused.close();
      await setUser("single", name, [...syncguardAclRules(PREFIX), "+wait"]);
      const granted = createRedisBackend(client, { keyPrefix: PREFIX, durability, logger });
      // No replica here: the shortfall only warns (onShortfall "warn"), so the acquire stands.
      const held = await granted.acquire({ key: "nowait", ttlMs: 1_000 });
      expect(held.ok).toBe(true);
      if (held.ok) await granted.release({ lockId: held.lockId });
      await granted.close();
    } finally {
      await client.close();
      await dropUser(name);
    }
  });

  it("without INFO the backend works and warns once that it could not check the eviction policy", async () => {
    const name = `${USER}-noinfo`;
    await setUser("single", name, [...syncguardAclRules(PREFIX), "-info"]);
    const client = connectAs("single", name);
    const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await client.connect();
      const backend = createRedisBackend(client, { keyPrefix: PREFIX });
      for (const key of ["noinfo-a", "noinfo-b"]) {
        const result = await backend.acquire({ key, ttlMs: 1_000 });
        expect(result.ok).toBe(true);
        if (result.ok) await backend.release({ lockId: result.lockId });
      }
      const warnings = warn.mock.calls.map((call) => String(call[0]));
      expect(warnings.filter((text) => /maxmemory-policy/.test(text))).toHaveLength(1);
      await backend.close();
    } finally {
      warn.mockRestore();
      await client.close();
      await dropUser(name);
    }
  });
});
