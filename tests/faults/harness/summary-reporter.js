// Jest reporter: prints the scenario summary lines the tests appended to a JSON-lines file.
// Lines go straight to stdout so turbo and the CI log show them verbatim, after jest's summary.
const { existsSync, readFileSync, rmSync, writeFileSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

const ENV = "SYNCGUARD_FAULTS_SUMMARY_FILE";

class SummaryReporter {
  constructor() {
    // Set before any test environment exists, so every test file inherits it.
    process.env[ENV] ??= join(tmpdir(), `syncguard-faults-summary-${process.pid}.jsonl`);
    this.file = process.env[ENV];
  }

  onRunStart() {
    writeFileSync(this.file, "");
  }

  onRunComplete() {
    if (!existsSync(this.file)) return;
    const lines = readFileSync(this.file, "utf8").split("\n").filter(Boolean);
    const out = lines.map((line) => `${JSON.parse(line).line}\n`).join("");
    process.stdout.write(`\n[faults] ${lines.length} scenario summaries\n${out}`);
    rmSync(this.file, { force: true });
  }
}

module.exports = SummaryReporter;
