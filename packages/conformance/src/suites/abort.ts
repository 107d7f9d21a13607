import assert from "node:assert/strict";
import { fenceOf, mustAcquire, type SuiteContext } from "../context";
import { rejectsWithCode, uniqueKey } from "../helpers";

function abortedSignal(): AbortSignal {
  const controller = new AbortController();
  controller.abort(new Error("conformance: aborted on purpose"));
  return controller.signal;
}

export function abortSuite(ctx: SuiteContext): void {
  ctx.test(
    "abort.pre-aborted",
    "all five operations reject an aborted signal with Aborted",
    async () => {
      const key = uniqueKey("abort-pre");
      const freeKey = uniqueKey("abort-pre-free");
      const lock = await mustAcquire(ctx.backend, key, ctx.ms(10_000));
      const b = ctx.backend;
      const signal = abortedSignal();
      await rejectsWithCode(
        () => b.acquire({ key: freeKey, ttlMs: 5_000, signal }),
        "Aborted",
        "acquire",
      );
      await rejectsWithCode(() => b.release({ lockId: lock.lockId, signal }), "Aborted", "release");
      await rejectsWithCode(
        () => b.extend({ lockId: lock.lockId, ttlMs: 60_000, signal }),
        "Aborted",
        "extend",
      );
      await rejectsWithCode(() => b.isLocked({ key, signal }), "Aborted", "isLocked");
      await rejectsWithCode(() => b.lookup({ key, signal }), "Aborted", "lookup by key");
      await rejectsWithCode(
        () => b.lookup({ lockId: lock.lockId, signal }),
        "Aborted",
        "lookup by lockId",
      );
      // Nothing happened: the free key stays free, the held lock is unchanged.
      assert.equal(await b.isLocked({ key: freeKey }), false, "an aborted acquire took the key");
      const info = await b.lookup({ key });
      assert.ok(info, "an aborted release freed the lock");
      assert.equal(info.expiresAtMs, lock.expiresAtMs, "an aborted extend changed the expiry");
      if (ctx.fencing) assert.equal(info.fence, fenceOf(lock));
    },
  );

  ctx.test(
    "abort.live-signal",
    "a signal that never fires does not affect any operation",
    async () => {
      const { signal } = new AbortController();
      const key = uniqueKey("abort-live");
      const b = ctx.backend;
      const result = await b.acquire({ key, ttlMs: ctx.ms(5_000), signal });
      assert.equal(result.ok, true);
      if (!result.ok) return;
      assert.equal(await b.isLocked({ key, signal }), true);
      assert.ok(await b.lookup({ key, signal }));
      assert.ok(await b.lookup({ lockId: result.lockId, signal }));
      assert.equal(
        (await b.extend({ lockId: result.lockId, ttlMs: ctx.ms(5_000), signal })).ok,
        true,
      );
      assert.equal((await b.release({ lockId: result.lockId, signal })).ok, true);
    },
  );
}
