import assert from "node:assert/strict";
import type { SuiteContext } from "../context";

/**
 * Registered last: by now every other test has run. A lockId is a bearer secret (whoever reads
 * it can release or extend that lock), so none may show up in what a backend lets out.
 */
export function secretsSuite(ctx: SuiteContext): void {
  ctx.test(
    "secrets.no-leak",
    "no error message, console line or lock event of the run holds a lockId it issued or a named secret",
    async () => {
      const { lockIds, texts } = ctx.watch.counts();
      assert.ok(lockIds > 0, "the watch saw no lockId: nothing to check against");
      const findings = ctx.watch.findings();
      assert.deepEqual(findings, [], `${findings.length} leak(s) among ${texts} watched texts`);
    },
  );
}
