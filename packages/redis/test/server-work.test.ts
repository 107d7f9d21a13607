import type { AcquireResult } from "@syncguard/core";
import { generateLockId, normalizeKey } from "@syncguard/core/driver";
import { createRedisBackend } from "../src";
import { layoutForKey } from "../src/keys";
import type { RedisBackend, RedisCapabilities } from "../src/types";
import {
  callsBetween,
  commandCalls,
  MODES,
  type Mode,
  type Target,
  uniqueKey,
  useBackend,
} from "./helpers/services";

// What the server does per operation (issue 15): the commands each script runs, counted by
// INFO commandstats on the real server, and the effects of the shortcuts that removed commands.

const PREFIX = "sgwork";

function okResult(result: AcquireResult<RedisCapabilities>) {
  if (!result.ok) throw new Error(`expected acquire to succeed, got ${JSON.stringify(result)}`);
  return result;
}

/** The commands one call made the server run (scripts and what they ran inside), sorted. */
async function commandsOf(target: Target, call: () => Promise<unknown>): Promise<string[]> {
  const before = await commandCalls(target);
  await call();
  const delta = callsBetween(before, await commandCalls(target));
  return [...delta].flatMap(([name, count]) => Array<string>(count).fill(name)).sort();
}

describe.each(MODES)("server work per operation (%s)", (mode: Mode) => {
  let target: Target;
  let backend: RedisBackend;
  useBackend(mode, PREFIX, (connected, built) => {
    target = connected;
    backend = built;
  });

  it("an uncontended acquire + release runs 6 commands: EVALSHA INCR TIME SET, EVALSHA GETDEL", async () => {
    const key = uniqueKey("cheap");
    // Warm the script cache of the node that owns the key (each cluster node has its own).
    const warm = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
    await backend.release({ lockId: warm.lockId });
    let lockId = "";
    const acquire = await commandsOf(target, async () => {
      lockId = okResult(await backend.acquire({ key, ttlMs: 5_000 })).lockId;
    });
    expect(acquire).toEqual(["evalsha", "incr", "set", "time"]);
    const release = await commandsOf(target, () => backend.release({ lockId }));
    expect(release).toEqual(["evalsha", "getdel"]);
  });

  it("a first attempt that finds the key held gives its fence number back", async () => {
    const key = uniqueKey("giveback");
    const layout = layoutForKey(PREFIX, key);
    const holder = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
    const counter = await target.client.get(layout.fence);
    // Another backend (no watch on the key) tries it as a fresh caller would: write first.
    const other = createRedisBackend(target.backendClient, { keyPrefix: PREFIX });
    const turnedAway = await other.acquire({ key, ttlMs: 5_000 });
    expect(turnedAway).toMatchObject({ ok: false, holder: { fence: holder.fence } });
    expect(await target.client.get(layout.fence)).toBe(counter);
    await backend.release({ lockId: holder.lockId });
    const next = okResult(await other.acquire({ key, ttlMs: 5_000 }));
    expect(BigInt(next.fence) > BigInt(holder.fence)).toBe(true);
    await other.release({ lockId: next.lockId });
    await other.close();
  });

  it("a release with a stranger's lockId writes the record back unchanged, expiry included", async () => {
    const key = uniqueKey("writeback");
    const layout = layoutForKey(PREFIX, key);
    const held = okResult(await backend.acquire({ key, ttlMs: 60_000 }));
    const value = await target.client.get(layout.record);
    const expiryBefore = await target.client.pExpireTime(layout.record);
    const stranger = generateLockId(normalizeKey(key));
    expect(await backend.release({ lockId: stranger })).toEqual({ ok: false });
    expect(await target.client.get(layout.record)).toBe(value);
    const expiryAfter = await target.client.pExpireTime(layout.record);
    expect(expiryAfter).toBe(held.expiresAtMs + 1_000);
    expect(Math.abs(expiryAfter - expiryBefore)).toBeLessThanOrEqual(1);
    expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: true });
  });
});
