import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base.mjs";

// race-worker is not imported by anything: the race suite spawns `node dist/race-worker.js`
// (CommonJS, found next to the bundle at run time), so it is an entry of its own. Only the
// public entry gets declarations. `shims` gives the ESM build a `__dirname` for that lookup.
export default defineConfig(
  packageConfig({
    entry: { index: "src/index.ts", "race-worker": "src/race-worker.ts" },
    dts: { entry: { index: "src/index.ts" } },
    shims: true,
  }),
);
