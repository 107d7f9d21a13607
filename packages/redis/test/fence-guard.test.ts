import { forceRelease, isLockError } from "@syncguard/core";
import { isStaleFenceError } from "@syncguard/core/driver";
import {
  createRedisBackend,
  fencedSet,
  fenceRecordKey,
  type RedisBackend,
  type RedisClientLike,
} from "../src";
import { CLIENT_LABELS, connectWith, GLIDE, GLIDE_LABEL } from "./helpers/clients";
import { connectTarget, MODES, type Mode, type Target, uniqueKey } from "./helpers/services";

describe.each(MODES)("fencedSet (%s)", (mode: Mode) => {
  describe.each([
    [CLIENT_LABELS.redis, "redis"],
    [CLIENT_LABELS.ioredis, "ioredis"],
    [GLIDE_LABEL, GLIDE],
  ] as const)("on %s", (_label, library) => {
    let target: Target;
    let connection: { client: RedisClientLike; close(): Promise<void> };
    let backend: RedisBackend;
    beforeAll(async () => {
      target = await connectTarget(mode);
      connection = await connectWith(library, mode);
      backend = createRedisBackend(connection.client, { keyPrefix: `sgfence-${library}` });
    });
    afterAll(async () => {
      await backend?.close();
      await connection?.close();
      await target?.close();
    });

    const held = async (lockKey: string) => {
      const result = await backend.acquire({ key: lockKey, ttlMs: 30_000 });
      if (!result.ok) throw new Error("expected to acquire");
      return result;
    };

    it("refuses a stale holder's write after a takeover; the newer holder's value stays", async () => {
      const resource = uniqueKey("balance");
      const lockKey = `lock:${resource}`;
      const stale = await held(lockKey);
      await fencedSet(connection.client, { key: resource, value: "A1", fence: stale.fence });
      // The holder hangs; an operator clears its lock; a new holder takes over and writes.
      await forceRelease(backend, lockKey);
      const fresh = await held(lockKey);
      await fencedSet(connection.client, { key: resource, value: "B1", fence: fresh.fence });
      await fencedSet(connection.client, { key: resource, value: "B2", fence: fresh.fence });
      const refused = await fencedSet(connection.client, {
        key: resource,
        value: "A2",
        fence: stale.fence,
      }).catch((error: unknown) => error);
      expect(isStaleFenceError(refused)).toBe(true);
      expect(refused).toMatchObject({ fence: stale.fence, lastFence: fresh.fence });
      expect(await target.client.get(resource)).toBe("B2");
      expect(await target.client.get(fenceRecordKey(resource))).toBe(fresh.fence);
      await backend.release({ lockId: fresh.lockId });
    });

    it("sets the value's TTL, keeps the fence record forever, in the key's slot", async () => {
      const resource = uniqueKey("session");
      const lock = await held(`lock:${resource}`);
      await fencedSet(connection.client, {
        key: resource,
        value: "v",
        fence: lock.fence,
        ttlMs: 60_000,
      });
      expect(await target.client.pTTL(resource)).toBeGreaterThan(0);
      expect(await target.client.pTTL(fenceRecordKey(resource))).toBe(-1);
      if (mode === "cluster") {
        const node = target.nodes[0]!;
        const slot = (name: string) => node.sendCommand(["CLUSTER", "KEYSLOT", name]);
        expect(await slot(fenceRecordKey(resource))).toEqual(await slot(resource));
        const tagged = `{${uniqueKey("tag")}}:user:1`;
        expect(await slot(fenceRecordKey(tagged))).toEqual(await slot(tagged));
        await fencedSet(connection.client, { key: tagged, value: "v", fence: lock.fence });
      }
      await backend.release({ lockId: lock.lockId });
    });

    it("rejects bad input with InvalidArgument before sending anything", async () => {
      const lock = await held(`lock:${uniqueKey("bad")}`);
      for (const options of [
        { key: "", value: "v", fence: lock.fence },
        { key: "k", value: 1 as unknown as string, fence: lock.fence },
        { key: "k", value: "v", fence: "12" },
        { key: "k", value: "v", fence: lock.fence, ttlMs: 0 },
        { key: "a}b", value: "v", fence: lock.fence },
      ]) {
        const error = await fencedSet(connection.client, options).catch((e: unknown) => e);
        expect(isLockError(error, "InvalidArgument")).toBe(true);
      }
      await backend.release({ lockId: lock.lockId });
    });
  });
});
