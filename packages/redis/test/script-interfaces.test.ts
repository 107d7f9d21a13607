import { generateLockId, keyTag } from "@syncguard/core/driver";
import { evictionRisk, parseMemoryInfo } from "../src/eviction-policy";
import { layoutForKey, layoutForLockId, queueMember, waiterOfMember } from "../src/keys";
import { acquireCall, acquireResult } from "../src/operations/acquire";
import { extendCall, extendResult } from "../src/operations/extend";
import { releaseCall, releaseResult } from "../src/operations/release";
import { storedLockOf } from "../src/record";
import { defineLuaScript, WAITED_AT } from "../src/scripts";

// What each script is sent and what its replies mean, without a server: the pure halves of the
// operations (the Lua itself runs in the tests against redis-server).

describe("key layout", () => {
  it("puts every key of a lock under one hash tag made of the key tag's first two characters", () => {
    const layout = layoutForKey("app", "payment:1");
    const tag = keyTag("payment:1");
    const route = tag.slice(0, 2);
    expect(layout).toEqual({
      record: `app:{${route}}:lock:${tag}`,
      fence: `app:{${route}}:fence`,
      queue: `app:{${route}}:queue:${tag}`,
      channel: `app:{${route}}:released:${tag}`,
    });
  });

  it("finds the same names from a lockId as from its key", () => {
    const lockId = generateLockId("payment:1");
    expect(layoutForLockId("app", lockId)).toEqual(layoutForKey("app", "payment:1"));
  });

  it("queue members carry the budget; the waiter id is recovered from them", () => {
    expect(queueMember("w-1_a", 5_000)).toBe("w-1_a:5000");
    expect(waiterOfMember("w-1_a:5000")).toBe("w-1_a");
  });
});

describe("acquire", () => {
  const parsed = { key: "job", tag: keyTag("job"), ttlMs: 1_000, lockId: generateLockId("job") };

  it("sends record, route counter and queue, then lockId, ttl, key and write-first flag", () => {
    const layout = layoutForKey("p", "job");
    expect(acquireCall("p", parsed, false)).toEqual({
      keys: [layout.record, layout.fence, layout.queue],
      arguments: [parsed.lockId, "1000", "job", "0"],
    });
  });

  it("adds the waiter's queue member, remaining wait and first-attempt flag", () => {
    const withWaiter = {
      ...parsed,
      waiter: { id: "w1", timeoutMs: 400, budgetMs: 500, firstAttempt: true },
    };
    expect(acquireCall("p", withWaiter, false).arguments.slice(3)).toEqual([
      "0",
      "w1:500",
      "400",
      "0",
    ]);
  });

  it("writes first with neither queue nor waiter when the key is expected free", () => {
    const layout = layoutForKey("p", "job");
    const first = {
      ...parsed,
      waiter: { id: "w1", timeoutMs: 400, budgetMs: 500, firstAttempt: true },
    };
    for (const input of [parsed, first]) {
      expect(acquireCall("p", input, true)).toEqual({
        keys: [layout.record, layout.fence],
        arguments: [parsed.lockId, "1000", "job", "1"],
      });
    }
  });

  it("reads first on a waiter's later attempts, whatever the hint (it may be queued)", () => {
    const later = {
      ...parsed,
      waiter: { id: "w1", timeoutMs: 400, budgetMs: 500, firstAttempt: false },
    };
    expect(acquireCall("p", later, true).arguments.slice(3)).toEqual(["0", "w1:500", "400", "1"]);
  });

  it("reads each reply code", () => {
    expect(acquireResult([1, 7, 1_000], "job")).toEqual({
      acquired: true,
      expiresAtMs: 1_000,
      fence: "000000000000007",
    });
    expect(acquireResult([0, "7", 900], "job")).toEqual({
      acquired: false,
      holder: { fence: "000000000000007", remainingMs: 900 },
    });
    expect(acquireResult([2, 120], "job")).toEqual({
      acquired: false,
      holder: { remainingMs: 120 },
    });
    // A record without TTL (PERSIST by hand): remaining time unknown, not negative.
    expect(acquireResult([0, 7, -1], "job")).toEqual({
      acquired: false,
      holder: { fence: "000000000000007" },
    });
    expect(() => acquireResult([-1], "job")).toThrow(/Fence counter overflow/);
    expect(() => acquireResult([9], "job")).toThrow(/Malformed Redis reply/);
    expect(() => acquireResult("OK", "job")).toThrow(/Malformed Redis reply/);
  });
});

describe("release and extend", () => {
  const lockId = generateLockId("job");
  const layout = layoutForKey("p", "job");

  it("release sends the record and queue found from the lockId, and the lockId", () => {
    expect(releaseCall("p", lockId)).toEqual({
      keys: [layout.record, layout.queue],
      arguments: [lockId],
    });
    expect(releaseResult(1)).toEqual({ released: true, contended: false });
    expect(releaseResult(2)).toEqual({ released: true, contended: true });
    expect(releaseResult(0)).toEqual({ released: false });
    expect(releaseResult("1")).toEqual({ released: true, contended: false });
    expect(() => releaseResult(3)).toThrow(/Malformed Redis reply/);
    expect(() => releaseResult([1, 0])).toThrow(/Malformed Redis reply/);
  });

  it("extend sends the record, lockId and ttl", () => {
    expect(extendCall("p", lockId, 2_000)).toEqual({
      keys: [layout.record],
      arguments: [lockId, "2000"],
    });
    expect(extendResult(5_000)).toEqual({ expiresAtMs: 5_000 });
    expect(extendResult(0)).toBeUndefined();
    expect(() => extendResult(-1)).toThrow(/Malformed Redis reply/);
    expect(() => extendResult([1, 5_000])).toThrow(/Malformed Redis reply/);
  });
});

describe("records", () => {
  it("parses a record, keeps a key holding '|', and ignores reservations and absence", () => {
    const lockId = generateLockId("a|b");
    expect(storedLockOf(`${lockId}|1|12|2000|1000|a|b`)).toEqual({
      lockId,
      fence: "000000000000012",
      expiresAtMs: 2_000,
      acquiredAtMs: 1_000,
      key: "a|b",
    });
    expect(storedLockOf(Buffer.from(`${lockId}|0|1|2|1|k`))?.key).toBe("k");
    expect(storedLockOf("~w1:500|2000")).toBeUndefined();
    expect(storedLockOf(null)).toBeUndefined();
    expect(() => storedLockOf("garbage")).toThrow(/Malformed Redis reply/);
  });
});

describe("eviction policy", () => {
  it("reads INFO memory and rates the risk", () => {
    const info = (max: number, policy: string) =>
      `# Memory\r\nused_memory:1\r\nmaxmemory:${max}\r\nmaxmemory_policy:${policy}\r\n`;
    expect(parseMemoryInfo(info(0, "noeviction"))).toEqual({ maxmemory: 0, policy: "noeviction" });
    expect(evictionRisk({ maxmemory: 64, policy: "noeviction" })).toBe("none");
    expect(evictionRisk({ maxmemory: 64, policy: "volatile-lru" })).toBe("live");
    expect(evictionRisk({ maxmemory: 0, policy: "allkeys-lru" })).toBe("latent");
    expect(parseMemoryInfo("# Memory\r\n")).toBeUndefined();
  });
});

describe("script sources", () => {
  it("write the constants and the publish command into the prelude, so calls need not send them", () => {
    const script = defineLuaScript("t", "return 1", "SPUBLISH");
    expect(script.source).toMatch(/^local TOLERANCE = 1000\n/);
    expect(script.source).toContain("local PUBLISH_COMMAND = 'SPUBLISH'");
    expect(script.source).toContain(`local WAITED_AT = ${WAITED_AT}\n`);
    expect(script.source).not.toContain("local function recordFields");
    expect(script.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("put the record helpers at the body's --@record line, after its common path", () => {
    const script = defineLuaScript("t", "if ARGV[1] then return 1 end\n--@record\nreturn 2");
    const fast = script.source.indexOf("if ARGV[1] then return 1 end");
    const helpers = script.source.indexOf("local function recordFields");
    expect(fast).toBeGreaterThan(0);
    expect(helpers).toBeGreaterThan(fast);
    expect(script.source).not.toContain("--@record");
    expect(script.source.trimEnd().endsWith("return 2")).toBe(true);
  });
});
