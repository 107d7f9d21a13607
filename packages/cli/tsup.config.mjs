import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base.mjs";

// CommonJS only: the CLI loads the store's packages (optional peers, never bundled) with
// require() when that store is used, and ESM callers import CommonJS as they are. `bin` is the
// `syncguard` command.
export default defineConfig(
  packageConfig({
    entry: { index: "src/index.ts", bin: "src/bin.ts" },
    format: ["cjs"],
    dts: { entry: { index: "src/index.ts" } },
  }),
);
