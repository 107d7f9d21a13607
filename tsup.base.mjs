// Shared tsup settings for the published packages: one ESM build (.mjs + .d.mts) and one
// CommonJS build (.js + .d.ts) from the same entries. No "type": "module" in the packages, so
// `.js` is CommonJS and `.mjs` is ESM.
//
// `splitting` is off by default: tsup's CommonJS code splitting goes through an ESM build that
// sucrase converts, which rewrites `import()` into `require()` (fatal for conformance's race
// worker, which imports the user's module by file URL). Without it, esbuild emits CommonJS itself
// and keeps `import()`. Core turns it on: its `.` and `./memory` entries must share one copy of
// the error classes and module state per format (core has no dynamic import).
/** @param {Partial<import("tsup").Options>} overrides */
export function packageConfig(overrides) {
  return {
    format: ["esm", "cjs"],
    platform: "node",
    target: "node20",
    tsconfig: "tsconfig.build.json",
    dts: true,
    splitting: false,
    treeshake: false,
    sourcemap: false,
    minify: false,
    clean: true,
    outDir: "dist",
    ...overrides,
  };
}
