const base = require("../../jest.base.js");

/** @type {import("jest").Config} */
module.exports = {
  ...base,
  reporters: [...base.reporters, "<rootDir>/test/helpers/client-matrix-reporter.js"],
};
