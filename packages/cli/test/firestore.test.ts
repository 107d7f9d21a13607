import { randomBytes } from "node:crypto";
import { Firestore } from "@google-cloud/firestore";
import { createFirestoreBackend, type FirestoreBackend } from "@syncguard/firestore";
import {
  forceReleaseScenario,
  listAllKeys,
  permitScenario,
  type Run,
  runCli,
  spawnCli,
  unique,
  until,
} from "./helpers";

describe("syncguard on the Firestore emulator", () => {
  const projectId = `syncguard-cli-${process.pid}`;
  const tag = randomBytes(4).toString("hex");
  const collections = { collection: `locks_${tag}`, fenceCollection: `fences_${tag}` };
  const store = [
    "--project",
    projectId,
    "--collection",
    collections.collection,
    "--fence-collection",
    collections.fenceCollection,
  ];
  const cli = (argv: string[]): Promise<Run> => runCli([...argv, ...store]);
  let db: Firestore;
  let backend: FirestoreBackend;

  beforeAll(() => {
    if (!process.env.FIRESTORE_EMULATOR_HOST) {
      throw new Error("FIRESTORE_EMULATOR_HOST is not set: run through scripts/services.mjs");
    }
    db = new Firestore({ projectId });
    backend = createFirestoreBackend(db, collections);
  });
  afterAll(async () => {
    await backend.close();
    await db.terminate();
  });

  it("inspect, fence and list (pages of 2, escaped keys, prefix) on the emulator", async () => {
    const keys = ["tenant/1/job", "tenant/2/job", "tenant/3/job", "tenant/~x"];
    const held = await Promise.all(
      [...keys, "tenant/gone", "other"].map((key) => backend.acquire({ key, ttlMs: 60_000 })),
    );
    const gone = held[4];
    const first = held[0];
    if (!gone?.ok || !first?.ok) throw new Error("acquire failed");
    await backend.release({ lockId: gone.lockId });
    // An expired lock document stays until cleanup; the listing skips it.
    await backend.acquire({ key: "tenant/expired", ttlMs: 1 });
    await until(async () => !(await backend.isLocked({ key: "tenant/expired" })));
    const expiredDocs = db.collection(collections.collection).where("key", "==", "tenant/expired");
    expect((await expiredDocs.get()).size).toBe(1); // still stored: only the listing can skip it

    const inspect = await cli(["inspect", "tenant/1/job", "--json"]);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({
      key: "tenant/1/job",
      held: true,
      fence: first.fence,
      expiresAtMs: first.expiresAtMs,
    });
    expect(inspect.stdout).not.toContain(first.lockId);
    expect((await cli(["inspect", "tenant/gone"])).code).toBe(1);

    expect(JSON.parse((await cli(["fence", "tenant/1/job", "--json"])).stdout)).toEqual({
      key: "tenant/1/job",
      fence: first.fence,
      shared: false,
    });
    expect(JSON.parse((await cli(["fence", "never/locked", "--json"])).stdout)).toEqual({
      key: "never/locked",
      fence: null,
      shared: false,
    });

    const paged = await listAllKeys(cli, ["--prefix", "tenant/", "--limit", "2"]);
    expect(paged.keys.sort()).toEqual(keys.sort());
    expect((await listAllKeys(cli, [])).keys.length).toBe(5);
    for (const result of held) if (result.ok) await backend.release({ lockId: result.lockId });
  });

  it("release --force frees a key held by a live lock(): LockLost, fence counter untouched, next fence higher", async () => {
    await forceReleaseScenario(backend, cli, unique("stuck/job"));
  });

  it("list, inspect and release --force --permit show a semaphore's holders and force one permit out", async () => {
    await permitScenario(backend, cli, unique("workers/pool"));
  });

  it("migrate-2x: carries 2.x counters over (dry run, run, second run); a document with no counter is named", async () => {
    // syncguard 2.x's counters: `fence:<key>` documents of its fence collection.
    const old = `old_fences_${tag}`;
    await db
      .collection(old)
      .doc("fence:job:1")
      .set({ fence: "000000000000041", keyDebug: "job:1" });
    await db.collection(old).doc("fence:junk").set({ fence: 12 });
    const args = ["migrate-2x", ...store, "--old-fence-collection", old];

    const dry = await runCli([...args, "--dry-run"]);
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run: nothing was written\.\n/);
    expect(dry.stdout).toMatch(/^ {2}fence documents to raise: +1$/m);
    expect(dry.stdout).toContain(`  "${old}/fence:junk" (fence is a number)\n`);

    const real = await runCli([...args, "--json"]);
    expect(real.code).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({
      countersFound: 1,
      countersRaised: 1,
      skippedDocuments: [{ path: `${old}/fence:junk`, type: "fence is a number" }],
      unraised: [],
    });
    const next = await backend.acquire({ key: "job:1", ttlMs: 5_000 });
    if (!next.ok) throw new Error("acquire failed");
    expect(next.fence).toBe("000000000000042");
    await backend.release({ lockId: next.lockId });
    expect(JSON.parse((await runCli([...args, "--json"])).stdout)).toMatchObject({
      countersRaised: 0,
    });
  });

  it("the built bin against the emulator: --json list and a refused release without --yes", async () => {
    const key = unique("bin/job");
    const held = await backend.acquire({ key, ttlMs: 60_000 });
    if (!held.ok) throw new Error("acquire failed");
    const env = { FIRESTORE_EMULATOR_HOST: process.env.FIRESTORE_EMULATOR_HOST };
    const listed = await spawnCli(["list", "--prefix", "bin/", "--json", ...store], { env });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({
      locks: [{ key, fence: held.fence, expiresAtMs: held.expiresAtMs }],
      cursor: null,
    });
    const refused = await spawnCli(["release", "--force", key, ...store], { env });
    expect(refused.code).toBe(2);
    expect(await backend.isLocked({ key })).toBe(true);
    await backend.release({ lockId: held.lockId });
  });
});
