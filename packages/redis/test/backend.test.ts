import { type AcquireResult, isLockError } from "@syncguard/core";
import { generateLockId, hashLockId, MAX_FENCE, normalizeKey } from "@syncguard/core/driver";
import { createRedisBackend } from "../src";
import { layoutForKey, layoutForLockId } from "../src/keys";
import type { RedisBackend, RedisCapabilities } from "../src/types";
import {
  callsBetween,
  commandCalls,
  connectTarget,
  MODES,
  type Mode,
  type Target,
  uniqueKey,
  useBackend,
  waitFor,
} from "./helpers/services";

const PREFIX = "sgtest";

function okResult(result: AcquireResult<RedisCapabilities>) {
  if (!result.ok) throw new Error(`expected acquire to succeed, got ${JSON.stringify(result)}`);
  return result;
}

describe.each(MODES)("redis backend (%s)", (mode: Mode) => {
  let target: Target;
  let backend: RedisBackend;
  useBackend(mode, PREFIX, (connected, built) => {
    target = connected;
    backend = built;
  });

  const serverNow = async (): Promise<number> => {
    const [sec, usec] = (await target.nodes[0]!.sendCommand(["TIME"])) as [string, string];
    return Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
  };

  it("declares its capabilities", () => {
    expect(backend.capabilities).toEqual({
      backend: "redis",
      supportsFencing: true,
      timeAuthority: "server",
      wakeUps: "pubsub",
    });
  });

  it("acquires, reports the holder to others, releases once", async () => {
    const key = uniqueKey("basic");
    const first = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
    expect(first.fence).toMatch(/^\d{15}$/);
    expect(first.lockId).toHaveLength(36);
    const second = await backend.acquire({ key, ttlMs: 5_000 });
    expect(second).toMatchObject({ ok: false, reason: "locked", holder: { fence: first.fence } });
    const remaining = second.ok ? 0 : (second.holder?.remainingMs ?? 0);
    expect(remaining).toBeGreaterThan(5_000);
    expect(remaining).toBeLessThanOrEqual(6_000);
    expect(await backend.isLocked({ key })).toBe(true);
    expect(await backend.release({ lockId: first.lockId })).toEqual({ ok: true });
    expect(await backend.release({ lockId: first.lockId })).toEqual({ ok: false });
    expect(await backend.isLocked({ key })).toBe(false);
    const third = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
    expect(third.fence > first.fence).toBe(true);
    await backend.release({ lockId: third.lockId });
  });

  it("returns server-clock expiry and stores keys with ttl + tolerance", async () => {
    const key = uniqueKey("expiry");
    const before = await serverNow();
    const result = okResult(await backend.acquire({ key, ttlMs: 3_000 }));
    const after = await serverNow();
    expect(result.expiresAtMs).toBeGreaterThanOrEqual(before + 3_000);
    expect(result.expiresAtMs).toBeLessThanOrEqual(after + 3_000);
    const layout = layoutForKey(PREFIX, key);
    const lockTtl = await target.client.pTTL(layout.record);
    expect(lockTtl).toBeGreaterThan(3_000);
    expect(lockTtl).toBeLessThanOrEqual(4_000);
    expect(await target.client.pTTL(layout.fence)).toBe(-1);
    await backend.release({ lockId: result.lockId });
  });

  it("keeps every key of one lock in one cluster slot", async () => {
    const key = uniqueKey("slot");
    const layout = layoutForKey(PREFIX, key);
    const lockId = generateLockId(normalizeKey(key));
    const names = [layout.record, layout.fence, layout.queue, layout.channel];
    const node = target.nodes[0]!;
    if (mode === "cluster") {
      const slots = await Promise.all(names.map((name) => node.clusterKeySlot(name)));
      expect(new Set(slots).size).toBe(1);
    }
    // A lockId leads to its key's record without knowing the key.
    expect(layoutForLockId(PREFIX, lockId)).toEqual(layout);
  });

  it("never releases or extends for another holder's lockId", async () => {
    const key = uniqueKey("foreign");
    const held = okResult(await backend.acquire({ key, ttlMs: 10_000 }));
    const before = await backend.lookup({ key });
    // A stranger with the key's own tag reaches the record: only the ownership check stops it.
    const strangers = [generateLockId(normalizeKey(key)), generateLockId("another key")];
    for (const lockId of strangers) {
      expect(await backend.release({ lockId })).toEqual({ ok: false });
      expect(await backend.extend({ lockId, ttlMs: 60_000 })).toEqual({ ok: false });
      expect(await backend.lookup({ lockId })).toBeNull();
    }
    expect(await backend.lookup({ key })).toEqual(before);
    expect(await backend.lookup({ lockId: held.lockId })).toEqual(before);
    expect(before).toMatchObject({ key, lockIdHash: hashLockId(held.lockId), fence: held.fence });
    expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: true });
  });

  it("lets a new holder take an expired lock, with a higher fence, and not before", async () => {
    const key = uniqueKey("expired");
    const old = okResult(await backend.acquire({ key, ttlMs: 200 }));
    // Still live inside the tolerance window.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await backend.isLocked({ key })).toBe(true);
    expect((await backend.acquire({ key, ttlMs: 5_000 })).ok).toBe(false);
    let next: AcquireResult<RedisCapabilities> = { ok: false, reason: "locked" };
    await waitFor(async () => {
      next = await backend.acquire({ key, ttlMs: 5_000 });
      return next.ok;
    }, 5_000);
    const taken = okResult(next);
    expect(taken.fence > old.fence).toBe(true);
    const info = await backend.lookup({ key });
    expect(info?.acquiredAtMs).toBeGreaterThanOrEqual(old.expiresAtMs + 1_000);
    // The old holder can neither release nor extend the new holder's lock.
    expect(await backend.release({ lockId: old.lockId })).toEqual({ ok: false });
    expect(await backend.extend({ lockId: old.lockId, ttlMs: 5_000 })).toEqual({ ok: false });
    expect(await backend.lookup({ lockId: taken.lockId })).toMatchObject({ fence: taken.fence });
    await backend.release({ lockId: taken.lockId });
  });

  it("keeps the fence counter through release and expiry", async () => {
    const key = uniqueKey("fence");
    const layout = layoutForKey(PREFIX, key);
    // The counter is shared by the keys of one route (ADR-019): it is at least every fence issued.
    const counter = async () => Number(await target.client.get(layout.fence));
    const a = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
    await backend.release({ lockId: a.lockId });
    expect(await counter()).toBeGreaterThanOrEqual(Number(a.fence));
    const b = okResult(await backend.acquire({ key, ttlMs: 100 }));
    await waitFor(async () => !(await backend.isLocked({ key })), 5_000);
    await waitFor(async () => (await target.client.exists(layout.record)) === 0, 1_000);
    expect(await counter()).toBeGreaterThanOrEqual(Number(b.fence));
    expect(await target.client.pTTL(layout.fence)).toBe(-1);
    const c = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
    expect(a.fence < b.fence && b.fence < c.fence).toBe(true);
    await backend.release({ lockId: c.lockId });
  });

  it("extends by replacing the expiry and never resurrects", async () => {
    const key = uniqueKey("extend");
    const held = okResult(await backend.acquire({ key, ttlMs: 10_000 }));
    const shorter = await backend.extend({ lockId: held.lockId, ttlMs: 2_000 });
    if (!shorter.ok) throw new Error("extend failed");
    expect(shorter.expiresAtMs).toBeLessThan(held.expiresAtMs);
    const layout = layoutForKey(PREFIX, key);
    expect(await target.client.pTTL(layout.record)).toBeLessThanOrEqual(3_000);
    expect((await backend.lookup({ key }))?.expiresAtMs).toBe(shorter.expiresAtMs);
    const short = okResult(await backend.acquire({ key: uniqueKey("extend2"), ttlMs: 50 }));
    await waitFor(async () => (await backend.lookup({ lockId: short.lockId })) === null, 5_000);
    expect(await backend.extend({ lockId: short.lockId, ttlMs: 10_000 })).toEqual({ ok: false });
    expect(await backend.lookup({ lockId: short.lockId })).toBeNull();
    await backend.release({ lockId: held.lockId });
  });

  it("recovers from SCRIPT FLUSH (NOSCRIPT) with an EVAL fallback", async () => {
    const key = uniqueKey("noscript");
    await Promise.all(target.nodes.map((node) => node.scriptFlush()));
    const before = await commandCalls(target);
    const held = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
    const fallback = callsBetween(before, await commandCalls(target));
    expect(fallback.get("eval")).toBe(1);
    expect(await backend.isLocked({ key })).toBe(true);
    expect(await backend.extend({ lockId: held.lockId, ttlMs: 5_000 })).toMatchObject({ ok: true });
    expect(await backend.lookup({ key })).not.toBeNull();
    expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: true });
    // EVAL cached the script again: the next acquire is a single EVALSHA.
    const warm = await commandCalls(target);
    const again = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
    const delta = callsBetween(warm, await commandCalls(target));
    expect(delta.get("evalsha")).toBe(1);
    expect(delta.get("eval")).toBeUndefined();
    await backend.release({ lockId: again.lockId });
  });

  it("runs every operation in exactly one round trip", async () => {
    const key = uniqueKey("roundtrip");
    // Warm the script cache so the count reflects steady state.
    const warm = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
    await backend.extend({ lockId: warm.lockId, ttlMs: 5_000 });
    await backend.isLocked({ key });
    await backend.lookup({ key });
    await backend.lookup({ lockId: warm.lockId });
    await backend.release({ lockId: warm.lockId });

    let lockId = "";
    const ops: Array<[string, () => Promise<unknown>]> = [
      [
        "acquire",
        async () => {
          lockId = okResult(await backend.acquire({ key, ttlMs: 5_000 })).lockId;
        },
      ],
      ["acquire (contended)", () => backend.acquire({ key, ttlMs: 5_000 })],
      ["extend", () => backend.extend({ lockId, ttlMs: 5_000 })],
      ["isLocked", () => backend.isLocked({ key })],
      ["lookup by key", () => backend.lookup({ key })],
      ["lookup by lockId", () => backend.lookup({ lockId })],
      ["release", () => backend.release({ lockId })],
    ];
    // INFO commandstats also counts the commands a script runs inside Redis; those are not
    // round trips. Every client-sent command is an EVALSHA/EVAL, and there is exactly one.
    const insideScripts = new Set([
      "time",
      "hmget",
      "get",
      "incr",
      "del",
      "hset",
      "pexpire",
      "set",
      "getdel",
      "decr",
      "setrange",
    ]);
    insideScripts.add("publish").add("spublish");
    for (const queueCommand of ["zadd", "pttl", "zrem", "zremrangebyscore", "zpopmin"]) {
      insideScripts.add(queueCommand); // the wait queue, also inside the scripts
    }
    for (const [name, op] of ops) {
      const before = await commandCalls(target);
      await op();
      const delta = callsBetween(before, await commandCalls(target));
      const scripts = (delta.get("evalsha") ?? 0) + (delta.get("eval") ?? 0);
      // Reads are one plain GET; everything else one script, whatever it runs inside.
      const sent = scripts > 0 ? scripts : (delta.get("get") ?? 0);
      const other = [...delta.keys()].filter(
        (command) => command !== "evalsha" && command !== "eval" && !insideScripts.has(command),
      );
      expect({ name, sent, other }).toEqual({ name, sent: 1, other: [] });
    }
  });

  it("rejects bad input with InvalidArgument before sending any command", async () => {
    const lockId = generateLockId("k");
    const aborted = AbortSignal.abort();
    const bad: Array<[string, () => Promise<unknown>]> = [
      ["empty key", () => backend.acquire({ key: "", ttlMs: 1_000 })],
      ["non-string key", () => backend.acquire({ key: 42 as unknown as string, ttlMs: 1_000 })],
      ["huge key", () => backend.acquire({ key: "k".repeat(5_000), ttlMs: 1_000 })],
      ["lone surrogate", () => backend.isLocked({ key: "a\uD800b" })],
      ["zero ttl", () => backend.acquire({ key: "k", ttlMs: 0 })],
      ["fractional ttl", () => backend.acquire({ key: "k", ttlMs: 1.5 })],
      ["bad lockId", () => backend.release({ lockId: "nope" })],
      ["bad extend ttl", () => backend.extend({ lockId, ttlMs: -1 })],
      ["lookup with both", () => backend.lookup({ key: "k", lockId } as never)],
      ["lookup with neither", () => backend.lookup({} as never)],
      ["lockId of another key", () => backend.acquire({ key: "other", ttlMs: 1_000, lockId })],
      ["not a signal", () => backend.acquire({ key: "k", ttlMs: 1_000, signal: {} as never })],
      ["null options", () => backend.release(null as never)],
    ];
    const before = await commandCalls(target);
    for (const [name, op] of bad) {
      const error = await op().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ name, invalid: isLockError(error, "InvalidArgument") }).toEqual({
        name,
        invalid: true,
      });
    }
    for (const op of [
      () => backend.acquire({ key: "k", ttlMs: 1_000, signal: aborted }),
      () => backend.release({ lockId, signal: aborted }),
      () => backend.extend({ lockId, ttlMs: 1_000, signal: aborted }),
      () => backend.isLocked({ key: "k", signal: aborted }),
      () => backend.lookup({ key: "k", signal: aborted }),
    ]) {
      await expect(op()).rejects.toMatchObject({ code: "Aborted" });
    }
    expect(callsBetween(before, await commandCalls(target))).toEqual(new Map());
  });

  it("handles long, emoji, brace and NFC keys", async () => {
    const long = "x".repeat(2_000);
    const sharedHead = "h".repeat(600);
    const keys = [
      long,
      "🔒 lock:émoji/✓",
      "{}",
      "a{b}c",
      "{tag}:x",
      `${sharedHead}A`,
      `${sharedHead}B`,
    ];
    const held = [];
    for (const key of keys) {
      const result = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
      held.push(result);
      expect(await backend.lookup({ key })).toMatchObject({ key: normalizeKey(key) });
    }
    // Records are named by the key's tag: short whatever the key, distinct for distinct keys.
    expect(Buffer.byteLength(layoutForKey(PREFIX, long).record)).toBeLessThan(64);
    expect(layoutForKey(PREFIX, `${sharedHead}A`).record).not.toBe(
      layoutForKey(PREFIX, `${sharedHead}B`).record,
    );
    // Composed and decomposed spellings are one lock.
    const composed = `café-${uniqueKey("nfc")}`;
    const nfc = okResult(await backend.acquire({ key: composed, ttlMs: 5_000 }));
    expect((await backend.acquire({ key: composed.normalize("NFD"), ttlMs: 5_000 })).ok).toBe(
      false,
    );
    await backend.release({ lockId: nfc.lockId });
    for (const result of held)
      expect(await backend.release({ lockId: result.lockId })).toEqual({ ok: true });
  });

  it("refuses to acquire past the fence limit before writing anything", async () => {
    // Its own prefix: the counter it pushes to the limit is shared by a whole route.
    const prefix = `${PREFIX}-overflow-${process.pid}-${Date.now()}`;
    const limited = createRedisBackend(target.backendClient, { keyPrefix: prefix });
    const key = uniqueKey("overflow");
    const layout = layoutForKey(prefix, key);
    await target.client.set(layout.fence, String(MAX_FENCE));
    const error = await limited.acquire({ key, ttlMs: 1_000 }).catch((e: unknown) => e);
    expect(isLockError(error, "Internal")).toBe(true);
    expect(String((error as Error).message)).toMatch(/Fence counter overflow/);
    expect(await target.client.get(layout.fence)).toBe(String(MAX_FENCE));
    expect(await target.client.exists(layout.record)).toBe(0);

    await target.client.set(layout.fence, String(MAX_FENCE - 1));
    const warn = jest.spyOn(console, "warn").mockImplementation(() => {});
    const last = okResult(await limited.acquire({ key, ttlMs: 1_000 }));
    expect(last.fence).toBe("900000000000000");
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
    await limited.release({ lockId: last.lockId });
    await limited.close();
  });

  it("isLocked and lookup are plain reads", async () => {
    const cleaning = createRedisBackend(target.backendClient, { keyPrefix: PREFIX });
    const key = uniqueKey("reads");
    const held = okResult(await cleaning.acquire({ key, ttlMs: 5_000 }));
    const before = await commandCalls(target);
    expect(await cleaning.isLocked({ key })).toBe(true);
    expect(await cleaning.lookup({ key })).toMatchObject({ fence: held.fence });
    expect(await cleaning.lookup({ lockId: held.lockId })).toMatchObject({ fence: held.fence });
    expect(callsBetween(before, await commandCalls(target))).toEqual(new Map([["get", 3]]));
    expect(await cleaning.release({ lockId: held.lockId })).toEqual({ ok: true });
    expect(await cleaning.isLocked({ key })).toBe(false);
    await cleaning.close();
  });

  it("tells a record of another key under the same tag apart from the key's own lock", async () => {
    const key = uniqueKey("tag-collision");
    const layout = layoutForKey(PREFIX, key);
    // Plant a record of a different key at this key's record name, as a 72-bit tag collision would.
    const stranger = generateLockId(normalizeKey(key));
    const planted = `${stranger}|0|5|${(await serverNow()) + 60_000}|${await serverNow()}|not-${key}`;
    await target.client.set(layout.record, planted, { PX: 5_000 });
    expect(await backend.isLocked({ key })).toBe(false);
    expect(await backend.lookup({ key })).toBeNull();
    // It is a live lock of the other key: this key must wait, never share it.
    const attempt = await backend.acquire({ key, ttlMs: 1_000 });
    expect(attempt).toMatchObject({ ok: false, reason: "locked" });
    expect(attempt.ok ? undefined : attempt.holder?.fence).toBeUndefined();
    await target.client.del(layout.record);
  });
});

describe.each(MODES)("redis backend over RESP2 (%s)", (mode: Mode) => {
  it("works the same on a RESP2 connection", async () => {
    const target = await connectTarget(mode, 2);
    const backend = createRedisBackend(target.backendClient, { keyPrefix: PREFIX });
    try {
      const key = uniqueKey("resp2");
      const held = okResult(await backend.acquire({ key, ttlMs: 5_000 }));
      expect(await backend.acquire({ key, ttlMs: 5_000 })).toMatchObject({ ok: false });
      expect(await backend.lookup({ lockId: held.lockId })).toMatchObject({
        key,
        fence: held.fence,
      });
      expect(await backend.extend({ lockId: held.lockId, ttlMs: 5_000 })).toMatchObject({
        ok: true,
      });
      const woke = new Promise<void>((resolve) => {
        void backend.subscribe?.(key, () => resolve());
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await backend.release({ lockId: held.lockId })).toEqual({ ok: true });
      await woke;
    } finally {
      await backend.close();
      await target.close();
    }
  });
});
