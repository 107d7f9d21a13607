import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base.mjs";

export default defineConfig(
  packageConfig({
    entry: {
      index: "src/index.ts",
      "memory/index": "src/memory/index.ts",
      "driver/index": "src/for-drivers.ts",
      "operator/index": "src/for-operators.ts",
    },
    splitting: true,
  }),
);
