/**
 * Peer-version matrix: the declared (optional) peer range is
 * `@google-cloud/firestore ^7.0.0 || ^8.0.0`. The other test files use v8; this one runs
 * conformance suites on the emulator with the oldest v7 (7.0.0, the `firestore7` devDependency
 * alias; firebase-admin 13 brings a 7.x).
 *
 * Types: the SDK declares its types as a global namespace plus an ambient module named
 * "@google-cloud/firestore", so the alias cannot be imported as a typed module of its own. The
 * compile-time check is `tsconfig.firestore7.json` instead (part of `typecheck`): it resolves
 * "@google-cloud/firestore" to 7.0.0 and type-checks src and every test, this file included,
 * against it.
 */
import { join } from "node:path";
import type { Firestore } from "@google-cloud/firestore";
import { runConformance } from "@syncguard/conformance";
import { createFirestoreBackend, type FirestoreBackend } from "../src";
import { clearProject, emulatorHost, freshCollections, projectIdFor, warmUp } from "./helpers";

// Typed as the SDK "@google-cloud/firestore" resolves to: v7 under tsconfig.firestore7.json.
const { Firestore: Firestore7 } = require("firestore7") as typeof import("@google-cloud/firestore");
const sdkVersion: string = require("firestore7/package.json").version;

const projectId = projectIdFor("conf7");
const names = freshCollections("conf7");
let db: Firestore | undefined;
let backend: FirestoreBackend | undefined;

runConformance({
  name: "firestore (emulator, @google-cloud/firestore 7)",
  capabilities: { subscribe: true },
  createBackend: async () => {
    emulatorHost();
    db = new Firestore7({ projectId });
    await clearProject(projectId);
    await warmUp(db);
    // Same allowance as conformance.test.ts: the emulator stalls colliding transactions.
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
      SYNCGUARD_FS_SDK: "firestore7",
      SYNCGUARD_FS_PROJECT: projectId,
      SYNCGUARD_FS_COLLECTION: names.collection,
      SYNCGUARD_FS_FENCES: names.fenceCollection,
    },
  },
  // The SDK-facing paths (transactions, the lockId query, reads, snapshot listeners under lock()
  // waiters, contention between processes) in ~30 s; expiry, keys and lease timing do not depend
  // on the SDK major and stay in conformance.test.ts (~70 s in all).
  suites: ["acquire", "release", "extend", "lookup", "fencing", "lock", "race"],
  race: { processes: 3, iterations: 10 },
  timeScale: 3,
});

it("the firestore7 alias really is @google-cloud/firestore 7.x", () => {
  expect(sdkVersion).toMatch(/^7\./);
});
