const base = require("../../jest.base.js");

/** @type {import("jest").Config} */
module.exports = {
  ...base,
  roots: ["<rootDir>/scenarios"],
  testTimeout: 60000,
  // The summary reporter prints one `[faults] ...` line per scenario with process.stdout.write,
  // so jest's console decoration never touches it.
  reporters: [...base.reporters, "<rootDir>/harness/summary-reporter.js"],
  // One file at a time (maxWorkers=1 in the test script), each in a fresh worker process: work a
  // scenario leaves behind (an abandoned Firestore call, a timer armed by a bad option) then
  // cannot fail the next file. A tiny idle-memory limit makes jest recycle the worker per file.
  workerIdleMemoryLimit: "1KB",
  // Defects under test can leave a client request pending forever (a frozen server, a hung
  // lock()); servers and workers are stopped in afterAll, this only stops jest waiting on them.
  forceExit: true,
};
