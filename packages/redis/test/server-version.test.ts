import { isLockError } from "@syncguard/core";
import { createRedisBackend } from "../src";
import { firstUseReply } from "../src/first-use";
import FIRST_USE_LUA from "../src/first-use.lua";
import { layoutForKey } from "../src/keys";
import { serverVersionOf, unsupportedServer } from "../src/server-version";
import { startRedis } from "./helpers/process";
import { connectTarget, type Target, uniqueKey } from "./helpers/services";

// Redis 7.0+ (Valkey 7.2+) only: an older server is refused at first use, naming its version.
// A 6.x server cannot run here, so the decision is tested as pure logic and on the reply shapes a
// real server gives: the first-use script as it runs on 7.0, and its pre-7.0 path (INFO server)
// run on the same real server.

describe("which servers are supported", () => {
  it("reads the version a 7.0+ server tells scripts, and the one in an older server's INFO", () => {
    expect(serverVersionOf("7.0.15")).toBe("7.0.15");
    expect(serverVersionOf(Buffer.from("7.2.4"))).toBe("7.2.4");
    expect(serverVersionOf("# Server\r\nredis_version:6.2.14\r\nredis_mode:standalone\r\n")).toBe(
      "6.2.14",
    );
    expect(serverVersionOf(null)).toBeUndefined();
    expect(serverVersionOf(false)).toBeUndefined();
    expect(serverVersionOf("# Server\r\nredis_mode:standalone\r\n")).toBeUndefined();
  });

  it("accepts Redis 7.0 and later (Valkey reports a Redis version of 7.2)", () => {
    for (const version of ["7.0.0", "7.0.15", "7.2.4", "7.4.1", "8.0.2", "255.255.255"]) {
      expect(unsupportedServer(version)).toBeUndefined();
    }
  });

  it("refuses anything older with InvalidArgument naming the version", () => {
    for (const version of ["6.2.14", "6.0.20", "5.0.14"]) {
      const refusal = unsupportedServer(version);
      expect(refusal?.code).toBe("InvalidArgument");
      expect(refusal?.message).toContain(`Redis ${version} is not supported`);
      expect(refusal?.message).toContain("Redis 7.0 or later");
    }
  });

  it("refuses a server that does not say its version (only pre-7.0 servers stay silent)", () => {
    const refusal = unsupportedServer(false);
    expect(refusal?.code).toBe("InvalidArgument");
    expect(refusal?.message).toMatch(
      /Redis older than 7\.0 \(it did not say which: INFO refused\)/,
    );
  });
});

describe("the first-use check on a real server", () => {
  let target: Target;
  beforeAll(async () => {
    target = await connectTarget("single");
  });
  afterAll(() => target.close());

  const routing = () => layoutForKey("sgversion", uniqueKey("version")).record;
  const run = (source: string, withMemory: boolean) =>
    target.client.eval(source, { keys: [routing()], arguments: [withMemory ? "1" : "0"] });

  it("a 7.0+ server tells its version without INFO, and INFO memory only when asked", async () => {
    const info = String(await target.client.info("server"));
    const realVersion = /redis_version:(\S+)/.exec(info)?.[1];
    const withMemory = firstUseReply(await run(FIRST_USE_LUA, true));
    expect(serverVersionOf(withMemory.version)).toBe(realVersion);
    expect(withMemory.memoryInfo).toMatch(/maxmemory_policy:/);
    expect(firstUseReply(await run(FIRST_USE_LUA, false)).memoryInfo).toBeUndefined();
    expect(unsupportedServer(withMemory.version)).toBeUndefined();
  });

  it("a server that does not tell scripts its version answers with INFO server, and 6.x in it is refused", async () => {
    // The script's pre-7.0 path, run for real: `redis` without REDIS_VERSION, as on Redis 6.
    const pre7 = `local redis = { call = redis.call, pcall = redis.pcall }\n${FIRST_USE_LUA}`;
    const reply = firstUseReply(await run(pre7, false));
    const info = String(reply.version);
    expect(info).toMatch(/^# Server\r\n/);
    expect(unsupportedServer(reply.version)).toBeUndefined(); // this server is 7.x
    // The same reply as a 6.2 server sends it.
    const asRedis6 = info.replace(/^redis_version:\S+/m, "redis_version:6.2.14");
    const refusal = unsupportedServer(asRedis6);
    expect(refusal?.code).toBe("InvalidArgument");
    expect(refusal?.message).toContain("Redis 6.2.14 is not supported");
  });

  it("a backend checks once, before its first operation, whichever operation that is", async () => {
    // A server of its own: the script count is server-wide, and nothing else may run scripts on it
    // (background work of other tests would on the shared one).
    const server = await startRedis([]);
    const { createClient } = await import("redis");
    const client = createClient({ url: `redis://127.0.0.1:${server.port}` });
    await client.connect();
    try {
      const backend = createRedisBackend(client, { keyPrefix: "sgversion" });
      const key = uniqueKey("first");
      // Scripts that ran: a first EVALSHA of each script fails NOSCRIPT on a fresh server and is
      // sent again as EVAL; only the one that ran counts.
      const scripts = async () => {
        const stats = String(await client.info("commandstats"));
        const ran = (name: string) => {
          const line = new RegExp(`^cmdstat_${name}:(.*)$`, "m").exec(stats)?.[1] ?? "";
          const field = (f: string) => Number(new RegExp(`${f}=(\\d+)`).exec(line)?.[1] ?? 0);
          return field("calls") - field("failed_calls") - field("rejected_calls");
        };
        return ran("evalsha") + ran("eval");
      };
      const before = await scripts();
      expect(await backend.isLocked({ key })).toBe(false); // first use: check script + GET
      const afterFirst = await scripts();
      expect(afterFirst - before).toBeGreaterThanOrEqual(1);
      const held = await backend.acquire({ key, ttlMs: 5_000 });
      expect(held.ok).toBe(true);
      expect((await scripts()) - afterFirst).toBe(1); // the acquire alone: no second check
      if (held.ok) await backend.release({ lockId: held.lockId });
      await backend.close();
    } finally {
      await client.close();
      await server.stop();
    }
  });

  it("a check that could not run is the operation's own error, and the next operation checks again", async () => {
    const { createClient } = await import("redis");
    const client = createClient({ url: process.env.REDIS_URL });
    client.on("error", () => {});
    const backend = createRedisBackend(client, { keyPrefix: "sgversion" });
    const key = uniqueKey("not-yet");
    // Not connected yet: nothing is sent, the check fails as the isLocked it runs for.
    const error = await backend.isLocked({ key }).catch((e: unknown) => e);
    expect(isLockError(error, "ServiceUnavailable")).toBe(true);
    expect(String((error as Error).message)).toMatch(/^Redis isLocked failed/);
    await client.connect();
    expect(await backend.isLocked({ key })).toBe(false);
    await backend.close();
    await client.close();
  });
});
