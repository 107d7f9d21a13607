import { join } from "node:path";
import type { Firestore } from "@google-cloud/firestore";
import { runConformance } from "@syncguard/conformance";
import { createFirestoreBackend, type FirestoreBackend } from "../src";
import { clearProject, freshCollections, newDb, projectIdFor, warmUp } from "./helpers";

/** The shared conformance suite on the emulator, including the multi-process race. */
const projectId = projectIdFor("conf");
const names = freshCollections("conf");
let db: Firestore | undefined;
let backend: FirestoreBackend | undefined;

runConformance({
  name: "firestore (emulator)",
  capabilities: { subscribe: true, list: true, readFence: true },
  createBackend: async () => {
    db = newDb(projectId);
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
      SYNCGUARD_FS_PROJECT: projectId,
      SYNCGUARD_FS_COLLECTION: names.collection,
      SYNCGUARD_FS_FENCES: names.fenceCollection,
    },
  },
  timeScale: 3,
});
