// A CommonJS TypeScript app that installed only `firebase-admin` and `@syncguard/firestore`: its
// Firestore comes from `getFirestore()`, i.e. the @google-cloud/firestore copy firebase-admin brings.
import { createFirestoreBackend, createLock } from "@syncguard/firestore";
import { deleteApp, initializeApp } from "firebase-admin/app";
import { getFirestore } from "firebase-admin/firestore";

async function main(): Promise<void> {
  if (!process.env.FIRESTORE_EMULATOR_HOST) throw new Error("FIRESTORE_EMULATOR_HOST is not set");
  const projectId = `${process.env.GCLOUD_PROJECT ?? "demo-syncguard"}-consumer-admin-${process.pid}`;
  const app = initializeApp({ projectId });
  const db = getFirestore(app);
  // Compile-time half of the check: firebase-admin's Firestore is what these accept.
  const lock = createLock(db);
  const observer = createFirestoreBackend(db);
  const key = "consumer:firebase-admin";
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`round trip failed: ${what}`);
  };

  const first = await lock(
    async ({ fence, lockId, extend }) => {
      check(/^\d{15}$/.test(fence), `fence is 15 digits (got ${JSON.stringify(fence)})`);
      check(await observer.isLocked({ key }), "isLocked while held");
      const info = await observer.lookup({ key });
      check(info?.fence === fence, "lookup by key sees the holder's fence");
      check((await observer.lookup({ lockId }))?.fence === fence, "lookup by lockId");
      const other = await observer.acquire({ key, ttlMs: 5_000 });
      check(!other.ok && other.reason === "locked", "a second acquire sees the lock");
      check((await extend(10_000)).ok, "extend");
      return fence;
    },
    { key, ttlMs: 5_000 },
  );
  check(!(await observer.isLocked({ key })), "free after lock() released it");
  const second = await lock(async ({ fence }) => fence, { key, ttlMs: 5_000 });
  check(second > first, "fence increases");

  await observer.close();
  await deleteApp(app);
  console.log(JSON.stringify({ ok: true, format: "firebase-admin", first, second }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
