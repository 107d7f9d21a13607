import assert from "node:assert/strict";
import { whenIdle } from "@syncguard/core";
import { asLockBackend, type SuiteContext } from "../context";

/**
 * Registered after the others: by now every test has left its background work behind (releases
 * of attempts abandoned by aborts and timeouts, withdrawals, lingering wake-up subscriptions).
 * The same check runs once more after `teardown` (see collect.ts), when that work may meet the
 * closed client.
 */
export function backgroundSuite(ctx: SuiteContext): void {
  ctx.test(
    "background.quiet",
    "no unhandled rejection or uncaught exception during the run, background work included",
    async () => {
      const idle = await whenIdle(asLockBackend(ctx.backend), { timeoutMs: ctx.ms(10_000) });
      assert.ok(idle, "core's background work for the backend was still running after 10 s");
      const found = ctx.strays.findings();
      assert.deepEqual(found, [], `${found.length} unhandled rejection(s) / uncaught exception(s)`);
    },
    { timeoutMs: 20_000 },
  );
}
