/** @type {import("jest").Config} */
module.exports = {
  ...require("../../jest.base.js"),
  roots: ["<rootDir>/scenarios"],
  testTimeout: 60000,
  // The summary reporter prints one `[faults] ...` line per scenario with process.stdout.write,
  // so jest's console decoration never touches it.
  reporters: ["default", "<rootDir>/harness/summary-reporter.js"],
  // Defects under test can leave a client request pending forever (a frozen server, a hung
  // lock()); servers and workers are stopped in afterAll, this only stops jest waiting on them.
  forceExit: true,
};
