import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base.mjs";

// Entries: the backend (`.`) and the operator module the `syncguard` CLI loads (`./operator`).
// Code splitting gives both one copy of the shared code per format; `shims` gives the ESM build
// the `__filename` the operator resolves the client libraries from.
export default defineConfig(
  packageConfig({
    entry: { index: "src/index.ts", "operator/index": "src/operator/index.ts" },
    splitting: true,
    shims: true,
  }),
);
