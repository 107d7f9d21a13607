/** Shared jest settings for every package: ts-jest on CommonJS output, tests under test/. */
module.exports = {
  // jest's node environment that also fails a test file on an unhandled rejection or uncaught
  // exception jest itself does not attribute to a test (scripts/jest/strict-environment.js).
  testEnvironment: require.resolve("./scripts/jest/strict-environment.js"),
  // "default" plus the reporter that fails the run for those recorded after a process's last file.
  reporters: ["default", require.resolve("./scripts/jest/stray-errors-reporter.js")],
  roots: ["<rootDir>/test"],
  testTimeout: 30000,
  moduleFileExtensions: ["ts", "js", "json", "lua"],
  transform: {
    // Lua scripts are imported as text, as tsup's text loader does in the build.
    "^.+\\.lua$": require.resolve("./jest-text-transform.js"),
    "^.+\\.ts$": [
      "ts-jest",
      { tsconfig: "<rootDir>/tsconfig.json", diagnostics: { ignoreCodes: [151002] } },
    ],
  },
};
