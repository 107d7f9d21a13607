/** @type {import("jest").Config} */
module.exports = {
  ...require("../../jest.base.js"),
  reporters: ["default", "<rootDir>/test/helpers/client-matrix-reporter.js"],
};
