import { randomBytes } from "node:crypto";
import { Firestore } from "@google-cloud/firestore";
import {
  createFirestoreBackend,
  type FirestoreBackend,
  type FirestoreBackendOptions,
} from "../src";

// google-auth probes the GCE metadata server otherwise (slow, noisy warnings).
process.env.METADATA_SERVER_DETECTION ??= "none";

/** host:port of the Firestore emulator; the tests never talk to real Firestore. */
export function emulatorHost(): string {
  const host = process.env.FIRESTORE_EMULATOR_HOST;
  if (!host) {
    throw new Error(
      "FIRESTORE_EMULATOR_HOST is not set. Run the tests through `node scripts/services.mjs run --firestore -- pnpm --filter @syncguard/firestore test` (or start the emulator yourself and export FIRESTORE_EMULATOR_HOST).",
    );
  }
  return host;
}

/** A project id of our own per test file, so clearing it never touches another file's data. */
export function projectIdFor(label: string): string {
  const base = process.env.GCLOUD_PROJECT ?? "syncguard-test";
  return `${base}-${label}-${process.pid}`;
}

export function newDb(projectId: string): Firestore {
  emulatorHost();
  return new Firestore({ projectId });
}

/** Deletes every document of the project through the emulator's REST endpoint. */
export async function clearProject(projectId: string): Promise<void> {
  const url = `http://${emulatorHost()}/emulator/v1/projects/${projectId}/databases/(default)/documents`;
  const response = await fetch(url, { method: "DELETE" });
  if (!response.ok) throw new Error(`Emulator reset failed: ${response.status}`);
}

/** Fresh collection names for one test, so tests never see each other's locks. */
export function freshCollections(
  label = "t",
): Required<Pick<FirestoreBackendOptions, "collection" | "fenceCollection">> {
  const tag = `${label}_${randomBytes(4).toString("hex")}`;
  return { collection: `locks_${tag}`, fenceCollection: `fences_${tag}` };
}

export function freshBackend(
  db: Firestore,
  options: FirestoreBackendOptions = {},
): { backend: FirestoreBackend; collection: string; fenceCollection: string } {
  const names = { ...freshCollections(), ...options };
  return {
    backend: createFirestoreBackend(db, names),
    collection: names.collection,
    fenceCollection: names.fenceCollection,
  };
}

/** Ids of the documents in a collection. */
export async function docIds(db: Firestore, collection: string): Promise<string[]> {
  const refs = await db.collection(collection).listDocuments();
  const ids: string[] = [];
  for (const ref of refs) if ((await ref.get()).exists) ids.push(ref.id);
  return ids.sort();
}

/** The first transaction on a fresh emulator takes ~1 s (JVM warm-up): pay it in beforeAll. */
export async function warmUp(db: Firestore): Promise<void> {
  const ref = db.collection("warmup").doc("w");
  await db.runTransaction(async (tx) => {
    await tx.get(ref);
    tx.set(ref, { at: Date.now() });
  });
}

/**
 * A test file's own emulator project: registers the beforeAll that creates its client, empties the
 * project and warms the emulator up, and the afterAll that terminates the client. `onReady`
 * receives the client. Returns the project id (child processes connect to it by id).
 */
export function useEmulatorProject(label: string, onReady: (db: Firestore) => void): string {
  const projectId = projectIdFor(label);
  let db: Firestore | undefined;
  beforeAll(async () => {
    db = newDb(projectId);
    onReady(db);
    await clearProject(projectId);
    await warmUp(db);
  });
  afterAll(() => db?.terminate());
  return projectId;
}

// The shared test kit: polling with a deadline, sleeps (for load, never for synchronisation).
export { eventually, sleep } from "@syncguard/conformance";
