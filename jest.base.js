/** Shared jest settings for every package: ts-jest on CommonJS output, tests under test/. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testTimeout: 30000,
  transform: {
    "^.+\\.ts$": [
      "ts-jest",
      { tsconfig: "<rootDir>/tsconfig.json", diagnostics: { ignoreCodes: [151002] } },
    ],
  },
};
