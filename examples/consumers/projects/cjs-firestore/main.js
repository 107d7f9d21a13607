// A CommonJS JavaScript app that installed only `@syncguard/firestore` and `@google-cloud/firestore`.
const { Firestore } = require("@google-cloud/firestore");
const { createFirestoreBackend, createLock } = require("@syncguard/firestore");
const { migrateFrom2x } = require("@syncguard/firestore/migrate");

async function main() {
  if (!process.env.FIRESTORE_EMULATOR_HOST) throw new Error("FIRESTORE_EMULATOR_HOST is not set");
  const projectId = `${process.env.GCLOUD_PROJECT || "demo-syncguard"}-consumer-cjs-${process.pid}`;
  const db = new Firestore({ projectId });
  const backend = createFirestoreBackend(db);
  const key = "consumer:cjs-firestore";
  const check = (ok, what) => {
    if (!ok) throw new Error(`round trip failed: ${what}`);
  };

  const first = await backend.acquire({ key, ttlMs: 10_000 });
  check(first.ok, "first acquire");
  const second = await backend.acquire({ key, ttlMs: 10_000 });
  check(!second.ok && second.reason === "locked", "second acquire must see the lock");
  check(await backend.isLocked({ key }), "isLocked while held");
  check((await backend.extend({ lockId: first.lockId, ttlMs: 20_000 })).ok, "extend");
  check((await backend.release({ lockId: first.lockId })).ok, "release");
  check(!(await backend.isLocked({ key })), "free after release");

  const lock = createLock(db);
  const fence = await lock(async ({ fence }) => fence, { key, ttlMs: 5_000 });
  check(fence > first.fence, "fence increases");

  // The 2.x migration, from its own subpath: a dry run reads and writes nothing.
  const report = await migrateFrom2x(db, { dryRun: true });
  check(report.dryRun && report.countersFound === 0, "migration dry run");

  await backend.close();
  await db.terminate();
  console.log(JSON.stringify({ ok: true, format: "cjs", firstFence: first.fence, fence }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
