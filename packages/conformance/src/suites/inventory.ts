import assert from "node:assert/strict";
import { readFence } from "@syncguard/core";
import { asLockBackend, mustAcquire, type SuiteContext } from "../context";
import { listEveryLock, uniqueKey } from "../helpers";

/**
 * The operator's reads (ADR-026): `listLocks` pages over live locks and `readFence` reads a fence
 * counter without moving it. Both are optional driver operations: a backend declares them in
 * `options.capabilities` (`list`, `readFence`), else these tests are reported as skipped.
 */
export function inventorySuite(ctx: SuiteContext): void {
  const backend = () => asLockBackend(ctx.backend);

  if (!ctx.options.capabilities?.list) {
    const reason = "options.capabilities.list not declared: the driver has no list operation";
    ctx.skip("inventory.list", "listLocks pages over live locks under a prefix", reason);
  } else {
    ctx.test(
      "inventory.list",
      "listLocks with limit 2 returns every live lock under a prefix exactly once, without lockIds; released and other keys absent",
      async () => {
        const prefix = `${uniqueKey("inventory")}/`;
        const held = new Map<string, Awaited<ReturnType<typeof mustAcquire>>>();
        for (const name of ["a", "b", "c", "d", "gone"]) {
          held.set(
            `${prefix}${name}`,
            await mustAcquire(ctx.backend, `${prefix}${name}`, ctx.ms(30_000)),
          );
        }
        const outside = await mustAcquire(
          ctx.backend,
          `${prefix.slice(0, -1)}-outside`,
          ctx.ms(30_000),
        );
        const gone = held.get(`${prefix}gone`)!;
        held.delete(`${prefix}gone`);
        assert.equal((await ctx.backend.release({ lockId: gone.lockId })).ok, true);

        const seen: string[] = [];
        for (const lock of await listEveryLock(backend(), { prefix, limit: 2 })) {
          const mine = held.get(lock.key);
          assert.ok(mine, `listed ${lock.key}, which is not a live lock under the prefix`);
          if ("fence" in mine)
            assert.equal(lock.fence, mine.fence, "the listed fence is the holder's");
          assert.equal(lock.expiresAtMs, mine.expiresAtMs, "the listed expiry is the holder's");
          seen.push(lock.key);
        }
        assert.deepEqual(
          seen.sort(),
          ["a", "b", "c", "d"].map((name) => `${prefix}${name}`),
          "each live lock under the prefix is listed exactly once",
        );
        for (const lock of [...held.values(), outside])
          await ctx.backend.release({ lockId: lock.lockId });
      },
    );
  }

  if (!ctx.options.capabilities?.readFence) {
    const reason =
      "options.capabilities.readFence not declared: the driver has no readFence operation";
    ctx.skip("inventory.fence", "readFence reads a key's fence counter without moving it", reason);
  } else {
    ctx.test(
      "inventory.fence",
      "readFence reads the counter a key's fences come from without moving it: at least the last fence issued, below the next",
      async () => {
        const key = uniqueKey("inventory-fence");
        const first = await mustAcquire(ctx.backend, key, ctx.ms(30_000));
        assert.equal((await ctx.backend.release({ lockId: first.lockId })).ok, true);
        const read = await readFence(backend(), key);
        const again = await readFence(backend(), key);
        assert.deepEqual(again, read, "reading the counter must not change it");
        if ("fence" in first && first.fence !== undefined) {
          assert.ok(read.fence !== null, "a key that got a fence has a counter");
          assert.ok(
            BigInt(read.fence) >= BigInt(first.fence),
            "the counter is at least the key's last fence",
          );
          if (!read.shared)
            assert.equal(read.fence, first.fence, "a per-key counter is the key's last fence");
          const next = await mustAcquire(ctx.backend, key, ctx.ms(30_000));
          assert.ok(
            "fence" in next && BigInt(String(next.fence)) > BigInt(read.fence),
            "the next fence is above the counter read",
          );
          await ctx.backend.release({ lockId: next.lockId });
        }
      },
    );
  }
}
