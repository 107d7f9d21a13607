import { join } from "node:path";
import type { Firestore } from "@google-cloud/firestore";
import { type ConformanceOptions, runConformance } from "@syncguard/conformance";
import { createFirestoreBackend, type FirestoreBackend } from "../src";
import { clearProject, freshCollections, projectIdFor, warmUp } from "./helpers";

/**
 * The shared conformance suite on the emulator, in a project and collections of its own, with
 * the multi-process race. `sdk` names the module the race's children load the SDK from.
 */
export function conformanceOnEmulator(setup: {
  name: string;
  label: string;
  newDb: (projectId: string) => Firestore;
  sdk?: string;
  extra?: Partial<ConformanceOptions>;
}): void {
  const projectId = projectIdFor(setup.label);
  const names = freshCollections(setup.label);
  let db: Firestore | undefined;
  let backend: FirestoreBackend | undefined;
  runConformance({
    name: setup.name,
    capabilities: {
      subscribe: true,
      list: true,
      readFence: true,
      semaphore: true,
      semaphoreOperators: true,
    },
    createBackend: async () => {
      db = setup.newDb(projectId);
      await clearProject(projectId);
      await warmUp(db);
      // The emulator stalls colliding transactions on a 2 s lock timeout: allow one op 30 s.
      backend = createFirestoreBackend(db, { ...names, operationTimeoutMs: 30_000 });
      return backend;
    },
    teardown: async () => {
      await backend?.close();
      await db?.terminate();
    },
    worker: {
      modulePath: join(__dirname, "fixtures", "conformance-worker.js"),
      env: {
        ...(setup.sdk ? { SYNCGUARD_FS_SDK: setup.sdk } : {}),
        SYNCGUARD_FS_PROJECT: projectId,
        SYNCGUARD_FS_COLLECTION: names.collection,
        SYNCGUARD_FS_FENCES: names.fenceCollection,
      },
    },
    timeScale: 3,
    ...setup.extra,
  });
}
