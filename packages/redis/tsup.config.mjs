import { defineConfig } from "tsup";
import { packageConfig } from "../../tsup.base.mjs";

// Lua scripts live in .lua files beside the code that runs them and are inlined as text.
// migrate-2x is the `syncguard-redis-migrate-2x` command (package.json "bin", CommonJS build);
// only the public entry gets declarations.
export default defineConfig(
  packageConfig({
    entry: { index: "src/index.ts", "migrate-2x": "src/migrate/cli.ts" },
    dts: { entry: { index: "src/index.ts" } },
    loader: { ".lua": "text" },
  }),
);
