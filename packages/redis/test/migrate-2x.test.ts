import { isLockError } from "@syncguard/core";
import { keyTag, normalizeKey } from "@syncguard/core/driver";
import { createClient as createClient5, type createCluster as createCluster5 } from "redis5";
import { createRedisBackend } from "../src";
import { layoutForKey, ROUTES } from "../src/keys";
import {
  type IoredisMigrationClient,
  migrateFrom2x,
  type RedisMigrationOptions,
} from "../src/migrate";
import { oldFenceLayout } from "../src/migrate/layout-2x";
import { allRouteFences } from "../src/migrate/plan";
import { connectWith } from "./helpers/clients";
import { connectTarget, MODES, type Mode, redisUrl, type Target } from "./helpers/services";
import {
  fenceName2x,
  lockName2x,
  seedCounter2x,
  seedLock2x,
  storageName2x,
} from "./helpers/syncguard-2x";

// Compile-time: node-redis 5 clients are accepted too (v6 ones are used below).
export const typeChecks = {
  client: (client: ReturnType<typeof createClient5>) => migrateFrom2x(client),
  cluster: (cluster: ReturnType<typeof createCluster5>) => migrateFrom2x(cluster),
};

let run = 0;
/** Fresh 2.x and new prefixes per test: a migration only ever sees its own test's data. */
function prefixes() {
  run++;
  return { oldKeyPrefix: `sg2x-${process.pid}-${run}`, keyPrefix: `sgnew-${process.pid}-${run}` };
}

const routeOf = (key: string) => keyTag(normalizeKey(key)).slice(0, 2);

/** Two keys whose new fences come from one route counter. */
function keysSharingARoute(): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const key = `shared:${i}`;
    const other = seen.get(routeOf(key));
    if (other !== undefined) return [other, key];
    seen.set(routeOf(key), key);
  }
}

const [SHARED_A, SHARED_B] = keysSharingARoute();
/** Key -> the last fence 2.x issued for it. The unicode key is given decomposed (2.x stored NFC). */
const SEEDED: ReadonlyArray<readonly [string, number]> = [
  ["job:1", 5],
  ["tenant:42:report", 17],
  ["cafe\u0301:☕/🔒 ключ", 123],
  [SHARED_A, 7],
  [SHARED_B, 300],
  ["hot", 89_999_999_999_999],
];

describe.each(MODES)("migrateFrom2x (%s)", (mode: Mode) => {
  let target: Target;
  beforeAll(async () => {
    target = await connectTarget(mode);
  });
  afterAll(() => target.close());

  const get = (name: string) => target.client.get(name);

  async function seed(oldKeyPrefix: string, entries = SEEDED): Promise<void> {
    for (const [key, fence] of entries)
      await seedCounter2x(target.client, oldKeyPrefix, key, fence);
  }

  /** Every key under a prefix, on every node. */
  async function namesUnder(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for (const node of target.nodes) {
      for await (const batch of node.scanIterator({ MATCH: `${prefix}:*`, COUNT: 1_000 })) {
        names.push(...batch);
      }
    }
    return names.sort();
  }

  async function firstFence(keyPrefix: string, key: string): Promise<bigint> {
    const backend = createRedisBackend(target.backendClient, { keyPrefix });
    try {
      const result = await backend.acquire({ key, ttlMs: 10_000 });
      if (!result.ok) throw new Error(`${key} is held`);
      await backend.release({ lockId: result.lockId });
      return BigInt(result.fence);
    } finally {
      await backend.close();
    }
  }

  const routeCounters = (keyPrefix: string) =>
    [...new Set(SEEDED.map(([key]) => layoutForKey(keyPrefix, normalizeKey(key)).fence))].sort();

  it("carries every 2.x counter over: the next fence of each key is above its last 2.x fence", async () => {
    const options = prefixes();
    await seed(options.oldKeyPrefix);
    const report = await migrateFrom2x(target.client, options);

    const routes = routeCounters(options.keyPrefix).length;
    expect(routes).toBe(SEEDED.length - 1); // the two shared keys have one counter
    expect(report).toEqual({
      dryRun: false,
      keysScanned: SEEDED.length,
      countersFound: SEEDED.length,
      skipped: 0,
      skippedKeys: [],
      unmapped: 0,
      routeCounters: routes,
      countersRaised: routes,
      highestFence: "089999999999999",
    });
    for (const [key, last] of SEEDED) {
      expect(await firstFence(options.keyPrefix, key)).toBeGreaterThan(BigInt(last));
    }
    // The shared counter took the higher of its two keys: both are above 300.
    expect(await firstFence(options.keyPrefix, SHARED_A)).toBeGreaterThan(300n);
  });

  it("leaves the 2.x data exactly as it was", async () => {
    const options = prefixes();
    await seed(options.oldKeyPrefix);
    const live = await seedLock2x(target.client, options.oldKeyPrefix, "job:1", 5);
    const before = await namesUnder(options.oldKeyPrefix);
    await migrateFrom2x(target.client, options);

    expect(await namesUnder(options.oldKeyPrefix)).toEqual(before);
    for (const [key, last] of SEEDED) {
      expect(await get(fenceName2x(options.oldKeyPrefix, key))).toBe(String(last));
    }
    expect(await get(live.lockName)).toBe(live.record);
    expect(await get(live.indexName)).toBe(live.lockName);
  });

  it("is idempotent: a second run raises nothing and changes no counter", async () => {
    const options = prefixes();
    await seed(options.oldKeyPrefix);
    await migrateFrom2x(target.client, options);
    const names = routeCounters(options.keyPrefix);
    const counters = await Promise.all(names.map(get));

    const again = await migrateFrom2x(target.client, options);
    expect(again.countersRaised).toBe(0);
    expect(again.countersFound).toBe(SEEDED.length);
    expect(await Promise.all(names.map(get))).toEqual(counters);
  });

  it("never lowers a counter that is already higher", async () => {
    const options = prefixes();
    await seed(options.oldKeyPrefix, [["job:1", 5]]);
    const counter = layoutForKey(options.keyPrefix, "job:1").fence;
    await target.client.set(counter, "1000000");

    const report = await migrateFrom2x(target.client, options);
    expect(report.countersRaised).toBe(0);
    expect(await get(counter)).toBe("1000000");
    expect(await firstFence(options.keyPrefix, "job:1")).toBe(1_000_001n);
  });

  it("dry run reports what it would raise and writes nothing", async () => {
    const options = prefixes();
    await seed(options.oldKeyPrefix);
    const before = await namesUnder(options.oldKeyPrefix);

    const dry = await migrateFrom2x(target.client, { ...options, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.countersRaised).toBe(routeCounters(options.keyPrefix).length);
    expect(await namesUnder(options.keyPrefix)).toEqual([]);
    expect(await namesUnder(options.oldKeyPrefix)).toEqual(before);

    const real = await migrateFrom2x(target.client, options);
    expect(real.countersRaised).toBe(dry.countersRaised);
    const after = await migrateFrom2x(target.client, { ...options, dryRun: true });
    expect(after.countersRaised).toBe(0);
  });

  it("skips names under the fence pattern that hold no counter (a 2.x lock of a key 'fence:…')", async () => {
    const options = prefixes();
    await seed(options.oldKeyPrefix, [["job:1", 5]]);
    // 2.x named this key's lock record exactly like the fence counter of the key "x".
    const collider = `fence:${options.oldKeyPrefix}:x`;
    const { lockName } = await seedLock2x(target.client, options.oldKeyPrefix, collider, 1);
    expect(lockName).toBe(fenceName2x(options.oldKeyPrefix, "x"));

    const report = await migrateFrom2x(target.client, options);
    expect(report).toMatchObject({ keysScanned: 2, countersFound: 1, skipped: 1, unmapped: 0 });
    expect(report.skippedKeys).toEqual([{ key: lockName, type: "string" }]);
    expect(report.countersRaised).toBe(1);
  });

  it("takes a trailing ':' on the 2.x prefix as 2.x did (it dropped it)", async () => {
    const options = prefixes();
    await seed(options.oldKeyPrefix, [["job:1", 41]]);
    const report = await migrateFrom2x(target.client, {
      ...options,
      oldKeyPrefix: `${options.oldKeyPrefix}::`,
    });
    expect(report.countersFound).toBe(1);
    expect(await firstFence(options.keyPrefix, "job:1")).toBe(42n);
  });

  it("escapes SCAN pattern characters in the 2.x prefix (a look-alike prefix is not read)", async () => {
    const options = prefixes();
    const oldKeyPrefix = `sg*[${process.pid}-${run}]?`;
    await seedCounter2x(target.client, oldKeyPrefix, "job:1", 3);
    // Matched by the prefix if it were taken as a pattern: `*` = "-decoy-", `?` = "X".
    await seedCounter2x(target.client, `sg-decoy-${process.pid}-${run}X`, "job:1", 500);

    const report = await migrateFrom2x(target.client, { ...options, oldKeyPrefix });
    expect(report).toMatchObject({
      countersFound: 1,
      unmapped: 0,
      highestFence: "000000000000003",
    });
    expect(await firstFence(options.keyPrefix, "job:1")).toBe(4n);
  });

  it("raises every route when 2.x hashed a fence name (very long prefix): the key is unknown", async () => {
    const options = { ...prefixes(), keyPrefix: `sgnew-long-${process.pid}-${run}` };
    const oldKeyPrefix = `${options.oldKeyPrefix}-${"p".repeat(240)}`;
    const longKey = `report:${"r".repeat(500)}`; // 507 bytes: 2.x took up to 512
    const hashed = await seedCounter2x(target.client, oldKeyPrefix, longKey, 4242);
    expect(hashed).toMatch(/:[A-Za-z0-9_-]{22}$/); // 2.x could not keep this name readable
    await seedCounter2x(target.client, oldKeyPrefix, "job:1", 9);

    const report = await migrateFrom2x(target.client, { ...options, oldKeyPrefix });
    expect(report).toMatchObject({ countersFound: 2, unmapped: 1, routeCounters: ROUTES });
    expect(report.countersRaised).toBe(ROUTES);
    expect(await firstFence(options.keyPrefix, longKey)).toBeGreaterThan(4242n);
    expect(await firstFence(options.keyPrefix, "any other key")).toBeGreaterThan(4242n);
    expect((await migrateFrom2x(target.client, { ...options, oldKeyPrefix })).countersRaised).toBe(
      0,
    );
  });
});

/**
 * Values under the 2.x fence pattern that are not strings (a hash, a list, a set: someone's own
 * data whose name happens to match) are skipped and named in the report, never a WRONGTYPE abort.
 */
describe.each([
  ["node-redis 6", "redis"],
  ["node-redis 5", "redis5"],
  ["ioredis 6", "ioredis"],
  ["ioredis 5", "ioredis5"],
] as const)("migrateFrom2x skips values of other types (%s)", (_label, library) => {
  it.each(MODES)("%s: reports each by name and type, and migrates the counters", async (mode) => {
    const { client, close } = await connectWith(library, mode);
    const target = await connectTarget(mode);
    try {
      const options = prefixes();
      await seedCounter2x(target.client, options.oldKeyPrefix, "job:1", 5);
      const hash = fenceName2x(options.oldKeyPrefix, "a hash");
      const list = fenceName2x(options.oldKeyPrefix, "a list");
      const set = fenceName2x(options.oldKeyPrefix, "a set");
      const text = fenceName2x(options.oldKeyPrefix, "not a number");
      await target.client.hSet(hash, "fence", "900");
      await target.client.rPush(list, "901");
      await target.client.sAdd(set, "902");
      await target.client.set(text, "nine hundred");

      const report = await migrateFrom2x(client as never, options);
      expect(report).toMatchObject({
        keysScanned: 5,
        countersFound: 1,
        skipped: 4,
        countersRaised: 1,
        highestFence: "000000000000005",
      });
      expect([...report.skippedKeys].sort((a, b) => a.key.localeCompare(b.key))).toEqual(
        [
          { key: hash, type: "hash" },
          { key: list, type: "list" },
          { key: set, type: "set" },
          { key: text, type: "string" },
        ].sort((a, b) => a.key.localeCompare(b.key)),
      );
      expect(await firstFenceWith(target, options.keyPrefix, "job:1")).toBe(6n);
      // Untouched.
      expect(await target.client.hGet(hash, "fence")).toBe("900");
    } finally {
      await close();
      await target.close();
    }
  });
});

async function firstFenceWith(target: Target, keyPrefix: string, key: string): Promise<bigint> {
  const backend = createRedisBackend(target.backendClient, { keyPrefix });
  try {
    const result = await backend.acquire({ key, ttlMs: 10_000 });
    if (!result.ok) throw new Error(`${key} is held`);
    await backend.release({ lockId: result.lockId });
    return BigInt(result.fence);
  } finally {
    await backend.close();
  }
}

describe("migrateFrom2x with a node-redis 5 client", () => {
  it("carries counters over on a single node", async () => {
    const client = createClient5({ url: redisUrl() });
    client.on("error", () => {});
    await client.connect();
    try {
      const options = prefixes();
      await seedCounter2x(client, options.oldKeyPrefix, "job:1", 11);
      const report = await migrateFrom2x(client, options);
      expect(report).toMatchObject({ countersFound: 1, countersRaised: 1 });
      expect(await client.get(layoutForKey(options.keyPrefix, "job:1").fence)).toBe("11");
    } finally {
      client.destroy();
    }
  });
});

describe.each([
  ["ioredis 6", "ioredis"],
  ["ioredis 5", "ioredis5"],
] as const)("migrateFrom2x with an %s client", (_label, library) => {
  it.each(MODES)("carries counters over (%s), and a second run raises nothing", async (mode) => {
    const { client, close } = await connectWith(library, mode);
    const target = await connectTarget(mode);
    try {
      const options = prefixes();
      for (const [key, fence] of SEEDED) {
        await seedCounter2x(target.client, options.oldKeyPrefix, key, fence);
      }
      const report = await migrateFrom2x(client as unknown as IoredisMigrationClient, options);
      expect(report).toMatchObject({ countersFound: SEEDED.length, unmapped: 0 });
      expect(report.countersRaised).toBeGreaterThan(0);
      for (const [key, fence] of SEEDED) {
        const counter = await target.client.get(
          layoutForKey(options.keyPrefix, normalizeKey(key)).fence,
        );
        expect(BigInt(counter ?? "0")).toBeGreaterThanOrEqual(BigInt(fence));
      }
      expect(
        await migrateFrom2x(client as unknown as IoredisMigrationClient, options),
      ).toMatchObject({
        countersFound: SEEDED.length,
        countersRaised: 0,
      });
    } finally {
      await close();
      await target.close();
    }
  });
});

describe("migrateFrom2x input", () => {
  // Any property access fails: proves the options were rejected before the client was touched.
  const untouchable = new Proxy(
    {},
    {
      get() {
        throw new Error("the client was touched");
      },
    },
  ) as never;

  it.each<[string, unknown]>([
    ["options not an object", "syncguard"],
    ["oldKeyPrefix not a string", { oldKeyPrefix: 5 }],
    ["oldKeyPrefix longer than 2.x accepted", { oldKeyPrefix: "x".repeat(1_000) }],
    ["empty keyPrefix", { keyPrefix: "" }],
    ["keyPrefix with a brace", { keyPrefix: "a{b}" }],
    ["keyPrefix over 256 bytes", { keyPrefix: "x".repeat(257) }],
    ["dryRun not a boolean", { dryRun: "yes" }],
  ])("rejects %s with InvalidArgument before any I/O", async (_, options) => {
    const error = await migrateFrom2x(untouchable, options as RedisMigrationOptions).catch(
      (e: unknown) => e,
    );
    expect(isLockError(error, "InvalidArgument")).toBe(true);
  });

  it("rejects something that is not a node-redis client", async () => {
    for (const client of [null, {}, { get() {}, eval() {} }]) {
      const error = await migrateFrom2x(client as never).catch((e: unknown) => e);
      expect(isLockError(error, "InvalidArgument")).toBe(true);
    }
  });
});

describe("2.x layout (seeding helper and scan plan)", () => {
  it("names storage as the 2.x rules say (documented vectors)", () => {
    expect(storageName2x("test", "x".repeat(500), 100, 0)).toBe("test:almAngpz1zHVEeEfkwDrhg");
    expect(storageName2x("syncguard:test:", "k")).toBe("syncguard:test:k");
    expect(fenceName2x("syncguard", "job:1")).toBe("syncguard:fence:syncguard:job:1");
    expect(lockName2x("syncguard", "cafe\u0301")).toBe("syncguard:café");
  });

  it("cannot tell the key when 2.x may have hashed the lock name inside a fence name", () => {
    const short = oldFenceLayout("syncguard");
    expect(short.keyOf("syncguard:fence:syncguard:job:1")).toBe("job:1");
    expect(short.keyOf("syncguard:fence:syncguard:abcdefghijklmnopqrstuv")).toBe(
      "abcdefghijklmnopqrstuv",
    );
    expect(short.hashedPattern).toBeUndefined();
    // Over ~461 bytes of prefix, 2.x hashed long keys' lock names: a 22-character tail is ambiguous.
    const p = "p".repeat(470);
    const long = oldFenceLayout(p);
    expect(long.keyOf(`${p}:fence:${p}:job:1`)).toBe("job:1");
    expect(long.keyOf(`${p}:fence:${p}:abcdefghijklmnopqrstuv`)).toBeUndefined();
    expect(long.isHashed(`${p}:abcdefghijklmnopqrstuv`)).toBe(true);
    expect(long.isHashed(`${p}:job:1`)).toBe(false);
  });

  it("enumerates each of the new backend's route counters once", () => {
    const names = allRouteFences("p");
    expect(names).toHaveLength(ROUTES);
    expect(new Set(names).size).toBe(ROUTES);
    expect(names).toContain(layoutForKey("p", "job:1").fence);
  });
});
