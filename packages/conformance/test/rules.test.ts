import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { collectConformanceTests, RULES, type RuleId } from "../src";

// The ids in test names, RULES.md and src/rules.ts are one list; this keeps them from drifting.
const table = readFileSync(join(__dirname, "../RULES.md"), "utf8");
const documented = [...table.matchAll(/^\| `([a-zA-Z.-]+)` *\|/gm)].map((match) => match[1]);
const plan = collectConformanceTests({
  name: "rules",
  createBackend: () => {
    throw new Error("not run");
  },
  worker: { modulePath: "/not/run.js" }, // registers the race tests too
});
const tested = new Set(plan.suites.flatMap((suite) => suite.tests.map((test) => test.rule)));

describe("rule ids", () => {
  it("RULES.md lists exactly the rules in src/rules.ts, in order", () => {
    assert.deepEqual(documented, Object.keys(RULES));
  });

  it("every rule has at least one test, and every test name starts with its rule", () => {
    for (const rule of Object.keys(RULES) as RuleId[])
      assert.ok(tested.has(rule), `${rule} has no test`);
    for (const test of plan.suites.flatMap((suite) => suite.tests)) {
      assert.ok(test.name.startsWith(`[${test.rule}] `), test.name);
    }
  });
});
