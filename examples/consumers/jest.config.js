/** @type {import("jest").Config} */
module.exports = {
  ...require("../../jest.base.js"),
  // npm installs from the registry (cache first) and a nested jest run: generous, not tight.
  testTimeout: 240000,
  globalSetup: "<rootDir>/test/global-setup.js",
  globalTeardown: "<rootDir>/test/global-teardown.js",
};
