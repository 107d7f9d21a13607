// Fails the run for unhandled rejections and uncaught exceptions no test file reported: those
// recorded after a worker's last file (written by the worker as it exits) and, in band, after the
// last file's teardown. Jest ends its workers before it calls onRunComplete.
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");
const { DIR_ENV, strayErrors, takeStrayErrors } = require("./stray-errors");

class StrayErrorsReporter {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "syncguard-jest-strays-"));
    process.env[DIR_ENV] = this.dir; // inherited by the workers jest starts after this
    strayErrors();
    this.error = undefined;
  }

  onRunComplete() {
    const found = takeStrayErrors();
    for (const file of readdirSync(this.dir)) {
      found.push(...JSON.parse(readFileSync(join(this.dir, file), "utf8")));
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (found.length === 0) return;
    const text = `${found.length} unhandled rejection(s) / uncaught exception(s) after the last test file of a process:\n\n${found.join("\n\n")}`;
    process.stderr.write(`\n[stray errors] ${text}\n`);
    this.error = new Error(text);
  }

  getLastError() {
    return this.error;
  }
}

module.exports = StrayErrorsReporter;
