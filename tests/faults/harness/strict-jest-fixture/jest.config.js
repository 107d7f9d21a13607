// The fixture of scenarios/strict-jest-selfcheck.test.ts: the repository's shared jest settings
// (jest.base.js) over a handful of plain JavaScript test files, some of which leak on purpose.
const base = require("../../../../jest.base.js");

/** @type {import("jest").Config} */
module.exports = {
  testEnvironment: base.testEnvironment,
  reporters: base.reporters,
  roots: ["<rootDir>"],
  testMatch: ["**/*.fixture.js"],
};
