// The conformance rule table, made from src/rules.ts (through the built package): the table in
// RULES.md and in specs/interface.md §10 is this text, and test/rules.test.ts fails when either
// differs. `node scripts/rules-table.js --write` rewrites both after a change to the rules.
const { readFileSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

const FILES = [join(__dirname, "../RULES.md"), join(__dirname, "../../../specs/interface.md")];
const START = "| Rule ";

/** The markdown table: one row per rule, in the order of `rules`, with the suite that checks it. */
function formatRulesTable(rules, suiteOf) {
  const rows = Object.entries(rules).map(([id, meaning]) => [`\`${id}\``, suiteOf(id), meaning]);
  const header = ["Rule", "Suite", "Meaning"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)]
    .join("\n")
    .concat("\n");
}

/** The table as it stands in a document: from its header row to the first line after it. */
function tableIn(text) {
  const start = text.indexOf(START);
  if (start === -1) return undefined;
  const lines = text.slice(start).split("\n");
  const end = lines.findIndex((l) => !l.startsWith("|"));
  return { start, text: `${lines.slice(0, end).join("\n")}\n` };
}

function expectedTable() {
  const { RULES, collectConformanceTests } = require("../dist/index.js");
  const plan = collectConformanceTests({
    name: "rules",
    createBackend: () => {
      throw new Error("not run");
    },
    worker: { modulePath: "/not/run.js" },
  });
  const suiteOf = (rule) =>
    plan.suites.find((suite) => suite.tests.some((test) => test.rule === rule))?.name ?? "—";
  return formatRulesTable(RULES, suiteOf);
}

function write() {
  const table = expectedTable();
  for (const file of FILES) {
    const text = readFileSync(file, "utf8");
    const found = tableIn(text);
    if (!found) throw new Error(`${file} has no rule table`);
    writeFileSync(
      file,
      text.slice(0, found.start) + table + text.slice(found.start + found.text.length),
    );
    console.log(`wrote the rule table in ${file}`);
  }
}

module.exports = { FILES, formatRulesTable, tableIn };
if (require.main === module && process.argv.includes("--write")) write();
