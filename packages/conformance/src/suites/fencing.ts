import assert from "node:assert/strict";
import { compareFence, isFence, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import { fenceOf, mustAcquire, type SuiteContext, type TestOptions } from "../context";
import { eventually, uniqueKey } from "../helpers";

/** Asserts each fence is newer than the one before it. */
function assertIncreasing(fences: string[], what: string): void {
  for (let i = 1; i < fences.length; i++) {
    const previous = fences[i - 1] as string;
    const current = fences[i] as string;
    assert.ok(
      compareFence(current, previous) > 0,
      `${what}: fence ${current} is not greater than the earlier ${previous} (${fences.join(", ")})`,
    );
  }
}

// A shared store may have history, so no test assumes a counter starts at 1 or steps by 1.
export function fencingSuite(ctx: SuiteContext): void {
  /** Fencing rules apply only to backends that declare supportsFencing. */
  const fencingTest = (
    rule: "fence.format" | "fence.monotonic" | "fence.per-key",
    title: string,
    run: () => Promise<void>,
    options: TestOptions = {},
  ) =>
    ctx.test(
      rule,
      title,
      async () => {
        if (ctx.fencing) await run();
      },
      options,
    );

  /** Acquires and releases `key`, returning the fence it was given. */
  const cycle = async (key: string): Promise<string> => {
    const lock = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
    assert.equal((await ctx.backend.release({ lockId: lock.lockId })).ok, true);
    return fenceOf(lock);
  };

  fencingTest(
    "fence.format",
    "fences are 15 digits and string order equals numeric order",
    async () => {
      const key = uniqueKey("fence-format");
      const fences = [await cycle(key), await cycle(key), await cycle(key)];
      for (const fence of fences)
        assert.ok(isFence(fence), `fence ${JSON.stringify(fence)} is not 15 digits`);
      for (const a of fences) {
        for (const b of fences) {
          const numeric = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
          assert.equal(Math.sign(compareFence(a, b)), numeric);
          assert.equal(
            a < b ? -1 : a > b ? 1 : 0,
            numeric,
            "string order differs from numeric order",
          );
        }
      }
      assert.ok(BigInt(fences[0] as string) > 0n, "fences start above zero");
    },
  );

  fencingTest(
    "fence.monotonic",
    "fences strictly increase across acquire/release cycles",
    async () => {
      const key = uniqueKey("fence-release");
      const fences: string[] = [];
      for (let i = 0; i < 6; i++) fences.push(await cycle(key));
      assertIncreasing(fences, "release cycles");
    },
  );

  fencingTest(
    "fence.monotonic",
    "fences strictly increase across expiry, isLocked, lookup and contention",
    async () => {
      const key = uniqueKey("fence-expiry");
      const ttlMs = ctx.ms(200);
      const first = await mustAcquire(ctx.backend, key, ttlMs);
      // Contention and reads must not touch the counter.
      assert.equal((await ctx.backend.acquire({ key, ttlMs })).ok, false);
      await ctx.backend.lookup({ key });
      await ctx.backend.lookup({ lockId: first.lockId });
      await eventually(
        async () => !(await ctx.backend.isLocked({ key })),
        ttlMs + TIME_TOLERANCE_MS + ctx.ms(3_000),
      );
      const second = await mustAcquire(ctx.backend, key, ctx.ms(5_000));
      await ctx.backend.isLocked({ key });
      assert.equal((await ctx.backend.release({ lockId: second.lockId })).ok, true);
      const third = await cycle(key);
      assertIncreasing([fenceOf(first), fenceOf(second), third], "expiry and reads");
    },
    { waitsOnClock: true },
  );

  fencingTest("fence.per-key", "interleaved keys keep their own increasing sequences", async () => {
    const keys = [uniqueKey("fence-a"), uniqueKey("fence-b"), uniqueKey("fence-c")];
    const perKey = new Map<string, string[]>(keys.map((key) => [key, []]));
    for (let round = 0; round < 3; round++) {
      for (const key of keys) perKey.get(key)?.push(await cycle(key));
    }
    for (const [key, fences] of perKey) assertIncreasing(fences, key);
  });
}
