import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base.mjs";

// Lua scripts live in .lua files beside the code that runs them and are inlined as text.
export default defineConfig(
  packageConfig({ entry: { index: "src/index.ts" }, loader: { ".lua": "text" } }),
);
