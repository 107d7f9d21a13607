import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base.mjs";

// Lua scripts live in .lua files beside the code that runs them and are inlined as text.
// Entries: the backend (`.`), the operator module the `syncguard` CLI loads (`./operator`), the
// 2.x migration (`./migrate`), and `migrate-2x`, the deprecated `syncguard-redis-migrate-2x`
// command (package.json "bin", CommonJS build). Code splitting gives the entries one copy of the
// shared code per format; `shims` gives the ESM build the `__filename` the operator resolves the
// client libraries from.
export default defineConfig(
  packageConfig({
    entry: {
      index: "src/index.ts",
      "operator/index": "src/operator/index.ts",
      "migrate/index": "src/migrate/index.ts",
      "migrate-2x": "src/operator/migrate-2x-bin.ts",
    },
    dts: {
      entry: {
        index: "src/index.ts",
        "operator/index": "src/operator/index.ts",
        "migrate/index": "src/migrate/index.ts",
      },
    },
    splitting: true,
    shims: true,
    loader: { ".lua": "text" },
  }),
);
