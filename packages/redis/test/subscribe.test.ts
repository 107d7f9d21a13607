import { createRedisBackend } from "../src";
import { createRedisDriver } from "../src/backend";
import { SUBSCRIBER_IDLE_CLOSE_MS } from "../src/clients/dedicated-subscriber";
import { layoutForKey } from "../src/keys";
import type { RedisBackend } from "../src/types";
import { MODES, type Mode, type Target, uniqueKey, useBackend, waitFor } from "./helpers/services";

const PREFIX = "sgsub";

describe.each(MODES)("wake-on-release subscriptions (%s)", (mode: Mode) => {
  let target: Target;
  let backend: RedisBackend;
  useBackend(mode, PREFIX, (connected, built) => {
    target = connected;
    backend = built;
  });

  /** Server-side subscriber count of a key's channel, summed over the nodes. */
  const subscribers = async (key: string): Promise<number> => {
    const channel = layoutForKey(PREFIX, key).channel;
    let total = 0;
    for (const node of target.nodes) {
      const reply = (await node.sendCommand([
        "PUBSUB",
        mode === "cluster" ? "SHARDNUMSUB" : "NUMSUB",
        channel,
      ])) as [string, number];
      total += Number(reply[1]);
    }
    return total;
  };

  /** The driver under the backend: its release says whether waiters were told. */
  const driver = () => createRedisDriver(target.backendClient, { keyPrefix: PREFIX });

  const subscribe = (key: string, listener: () => void) => {
    if (!backend.subscribe) throw new Error("subscribe missing");
    return backend.subscribe(key, listener);
  };

  /** Takes the key and turns one attempt away, as a waiter would, so its release is announced. */
  const holdAndTurnAway = async (key: string) => {
    const held = await backend.acquire({ key, ttlMs: 10_000 });
    if (!held.ok) throw new Error("acquire failed");
    expect(await backend.acquire({ key, ttlMs: 10_000 })).toMatchObject({ ok: false });
    return held;
  };

  it("announces only releases that turned an attempt away (no publish when uncontended)", async () => {
    const key = uniqueKey("contended-bit");
    const messages: string[] = [];
    const stop = await subscribe(key, () => messages.push("heard"));
    const quiet = await backend.acquire({ key, ttlMs: 10_000 });
    if (!quiet.ok) throw new Error("acquire failed");
    // Nobody was turned away: the release deletes the lock and tells no one.
    expect(await driver().release({ lockId: quiet.lockId })).toEqual({
      released: true,
      contended: false,
    });
    const contended = await holdAndTurnAway(key);
    // The bit survives an extend.
    expect(await backend.extend({ lockId: contended.lockId, ttlMs: 10_000 })).toMatchObject({
      ok: true,
    });
    expect(await driver().release({ lockId: contended.lockId })).toEqual({
      released: true,
      contended: true,
    });
    await waitFor(() => messages.length > 0, 2_000, 1);
    // One channel delivers in order: had the quiet release published, it would have come first.
    expect(messages).toEqual(["heard"]);
    // The next holder starts unmarked again.
    const next = await backend.acquire({ key, ttlMs: 10_000 });
    if (!next.ok) throw new Error("acquire failed");
    expect(await driver().release({ lockId: next.lockId })).toEqual({
      released: true,
      contended: false,
    });
    stop();
  });

  it("is active when subscribe resolves, and a release wakes the listener", async () => {
    const key = uniqueKey("wake");
    const held = await holdAndTurnAway(key);
    let woken = 0;
    const stop = await subscribe(key, () => {
      woken += 1;
    });
    expect(await subscribers(key)).toBe(1);
    const start = Date.now();
    // The publish reached a subscriber, so the release reports contention (fair handoff).
    expect(await driver().release({ lockId: held.lockId })).toEqual({
      released: true,
      contended: true,
    });
    await waitFor(() => woken === 1, 2_000, 1);
    expect(Date.now() - start).toBeLessThan(500);
    stop();
    stop();
  });

  it("shares one SUBSCRIBE among all waiters of a key and drops it after the last", async () => {
    const key = uniqueKey("refcount");
    const calls = Array.from({ length: 20 }, () => 0);
    const stops = await Promise.all(
      calls.map((_, i) =>
        subscribe(key, () => {
          calls[i] = (calls[i] ?? 0) + 1;
        }),
      ),
    );
    expect(await subscribers(key)).toBe(1);
    for (const stop of stops.slice(0, 19)) stop();
    expect(await subscribers(key)).toBe(1);
    const held = await holdAndTurnAway(key);
    await backend.release({ lockId: held.lockId });
    await waitFor(() => calls[19] === 1, 2_000, 1);
    expect(calls.slice(0, 19).every((n) => n === 0)).toBe(true);
    stops[19]?.();
    await waitFor(async () => (await subscribers(key)) === 0, 2_000);
  });

  it("keeps other listeners waking when one throws", async () => {
    const key = uniqueKey("throws");
    let woken = false;
    const a = await subscribe(key, () => {
      throw new Error("listener bug");
    });
    const b = await subscribe(key, () => {
      woken = true;
    });
    const held = await holdAndTurnAway(key);
    await backend.release({ lockId: held.lockId });
    await waitFor(() => woken, 2_000, 1);
    a();
    b();
  });

  if (mode === "single") {
    /** Ids of this server's connections subscribed to exactly `channels` channels. */
    const pubsubConnections = async (channels: number): Promise<string[]> => {
      const list = (await target.nodes[0]!.sendCommand([
        "CLIENT",
        "LIST",
        "TYPE",
        "pubsub",
      ])) as string;
      return list
        .split("\n")
        .filter((line) => line.includes(` sub=${channels} `))
        .map((line) => /^id=(\d+)/.exec(line)?.[1] ?? "");
    };
    const connectionExists = async (id: string): Promise<boolean> => {
      const list = (await target.nodes[0]!.sendCommand(["CLIENT", "LIST"])) as string;
      return list.split("\n").some((line) => line.startsWith(`id=${id} `));
    };

    it("puts every channel on one duplicated connection, closed when idle or by close()", async () => {
      const own = createRedisBackend(target.backendClient, { keyPrefix: PREFIX });
      const keys = Array.from({ length: 7 }, (_, i) => uniqueKey(`conn${i}`));
      const stops = await Promise.all(
        keys.flatMap((key) => [own.subscribe!(key, () => {}), own.subscribe!(key, () => {})]),
      );
      for (const key of keys) expect(await subscribers(key)).toBe(1);
      const connections = await pubsubConnections(7);
      expect(connections).toHaveLength(1);
      const id = connections[0]!;
      for (const stop of stops) stop();
      await waitFor(async () => (await subscribers(keys[0]!)) === 0, 2_000);
      // The idle connection stays briefly (hot keys resubscribe at once), then closes by itself.
      expect(await connectionExists(id)).toBe(true);
      await waitFor(async () => !(await connectionExists(id)), SUBSCRIBER_IDLE_CLOSE_MS + 3_000);

      await own.subscribe!(keys[0]!, () => {});
      expect(await subscribers(keys[0]!)).toBe(1);
      const reopened = (await pubsubConnections(1)).length;
      expect(reopened).toBeGreaterThanOrEqual(1);
      await own.close();
      await waitFor(async () => (await subscribers(keys[0]!)) === 0, 2_000);
    });
  }

  it("close() drops this backend's subscriptions and listeners", async () => {
    const own = createRedisBackend(target.backendClient, { keyPrefix: PREFIX });
    const key = uniqueKey("close");
    let woken = false;
    await own.subscribe!(key, () => {
      woken = true;
    });
    expect(await subscribers(key)).toBe(1);
    await own.close();
    await waitFor(async () => (await subscribers(key)) === 0, 2_000);
    const held = await holdAndTurnAway(key);
    await backend.release({ lockId: held.lockId });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(woken).toBe(false);
  });
});
