// Appends critical-section events to a ledger file, one JSON object per line. appendFileSync, so a
// SIGKILL right after a call loses nothing; process.hrtime (CLOCK_MONOTONIC, one clock for every
// process on the machine) and never Date.now, which the clock scenarios shift.
// Used by the workers and, through section-log.d.ts, by the in-process sections of the tests.
const { appendFileSync } = require("node:fs");

let counter = 0;

/** @param {string} file */
function openSectionLog(file) {
  const write = (event) =>
    appendFileSync(file, `${JSON.stringify({ ...event, t: String(process.hrtime.bigint()) })}\n`);
  return {
    file,
    enter(key, fence) {
      counter += 1;
      const id = `${process.pid}:${counter}`;
      write({ ev: "enter", id, key, fence: fence ?? null, pid: process.pid });
      return id;
    },
    exit(id, why) {
      write({ ev: "exit", id, why });
    },
    death(pid) {
      write({ ev: "death", pid });
    },
  };
}

module.exports = { openSectionLog };
