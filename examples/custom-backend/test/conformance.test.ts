import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runConformance } from "@syncguard/conformance";
import { createFileBackend, prepareDirectory } from "../src";

// One fresh directory per run; the race's child processes share it through the environment.
const dir = mkdtempSync(join(tmpdir(), "syncguard-file-"));

runConformance({
  name: "file",
  createBackend: async () => {
    await prepareDirectory(dir);
    return createFileBackend({ dir });
  },
  teardown: () => rmSync(dir, { recursive: true, force: true }),
  // Built by `pnpm test` (tsc first): children run plain node, so they load the compiled module.
  worker: { modulePath: join(__dirname, "../dist/worker.js"), env: { SYNCGUARD_FILE_DIR: dir } },
});
