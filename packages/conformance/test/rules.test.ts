import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { collectConformanceTests, RULES, type RuleId } from "../src";

// The rule ids and meanings in src/rules.ts, the test names, RULES.md and specs/interface.md §10
// are one list: this keeps them from drifting (descriptions included).
const { FILES, formatRulesTable, tableIn } = require("../scripts/rules-table.js") as {
  FILES: string[];
  formatRulesTable: (rules: Record<string, string>, suiteOf: (rule: string) => string) => string;
  tableIn: (text: string) => { text: string } | undefined;
};

const plan = collectConformanceTests({
  name: "rules",
  createBackend: () => {
    throw new Error("not run");
  },
  worker: { modulePath: "/not/run.js" }, // registers the race tests too
  capabilities: {
    subscribe: true,
    list: true,
    readFence: true,
    semaphore: true,
    semaphoreOperators: true,
  },
});
const tests = plan.suites.flatMap((suite) => suite.tests);
const suiteOf = (rule: string) => tests.find((test) => test.rule === rule)?.suite ?? "—";

describe("rule ids", () => {
  it.each(FILES.map((file) => [file.replace(/^.*\/(packages|specs)\//, "$1/"), file]))(
    "%s holds exactly the table made from src/rules.ts (ids, suites, meanings, order)",
    (_, file) => {
      const found = tableIn(readFileSync(file, "utf8"));
      assert.ok(found, "no rule table found");
      assert.equal(
        found.text,
        formatRulesTable(RULES, suiteOf),
        "rule table out of date: run `node packages/conformance/scripts/rules-table.js --write` after `pnpm build`",
      );
    },
  );

  it("every rule has at least one test, and every test name starts with its rule", () => {
    const tested = new Set(tests.map((test) => test.rule));
    for (const rule of Object.keys(RULES) as RuleId[])
      assert.ok(tested.has(rule), `${rule} has no test`);
    for (const test of tests) assert.ok(test.name.startsWith(`[${test.rule}] `), test.name);
  });
});

describe("the semaphore operator rules", () => {
  it("are reported skipped, never passed, for a driver whose permits cannot read or list", () => {
    const without = collectConformanceTests({
      name: "permits without operators",
      createBackend: () => {
        throw new Error("not run");
      },
      capabilities: { semaphore: true },
    });
    const operatorTests = without.suites
      .flatMap((suite) => suite.tests)
      .filter((test) => test.rule === "semaphore.inventory" || test.rule === "semaphore.force");
    assert.deepEqual(
      operatorTests.map((test) => [test.rule, test.skipReason?.includes("semaphoreOperators")]),
      [
        ["semaphore.inventory", true],
        ["semaphore.force", true],
      ],
    );
  });
});
