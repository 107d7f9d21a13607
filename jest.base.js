/** Shared jest settings for every package: ts-jest on CommonJS output, tests under test/. */
module.exports = {
  testEnvironment: "node",
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
