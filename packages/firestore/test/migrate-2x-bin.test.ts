import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Firestore } from "@google-cloud/firestore";
import { documentId } from "../src";
import { freshCollections, useEmulatorProject } from "./helpers";
import { seedCounter2x } from "./helpers-2x";

// The built command, as npm links it for `syncguard-firestore-migrate-2x` (package.json "bin"):
// a deprecated alias of `syncguard migrate-2x`, kept for one minor release.
const BIN = join(__dirname, "..", "dist", "migrate-2x.js");
const DEPRECATED =
  "syncguard-firestore-migrate-2x is deprecated: use `syncguard migrate-2x` (@syncguard/cli).\n";

let db: Firestore;
const projectId = useEmulatorProject("migbin", (created: Firestore) => {
  db = created;
});

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBin(args: string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    // The emulator comes from FIRESTORE_EMULATOR_HOST, inherited as a user would set it.
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, METADATA_SERVER_DETECTION: "none" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function collectionArgs() {
  const { collection, fenceCollection } = freshCollections("bin");
  const oldFenceCollection = `${fenceCollection}_2x`;
  return {
    oldFenceCollection,
    fenceCollection,
    args: [
      "--project",
      projectId,
      "--old-fence-collection",
      oldFenceCollection,
      "--collection",
      collection,
      "--fence-collection",
      fenceCollection,
    ],
  };
}

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run pnpm build first`);
});

describe("syncguard-firestore-migrate-2x", () => {
  it("--help prints usage and exits 0", async () => {
    const out = await runBin(["--help"]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Usage: syncguard-firestore-migrate-2x/);
    expect(out.stderr).toBe(DEPRECATED);
    expect(out.stdout).toMatch(/FIRESTORE_EMULATOR_HOST/);
  });

  it.each([
    ["an unknown option", ["--bogus"], /Unknown option '--bogus'/],
    ["a collection name with '/'", ["--collection", "a/b"], /collection must not contain "\/"/],
    [
      "equal lock and fence collections",
      ["--collection", "same", "--fence-collection", "same"],
      /must differ/,
    ],
  ])("exits 2 on %s", async (_, args, message) => {
    const out = await runBin(args);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(message);
    expect(out.stderr).toMatch(/--help for usage/);
    expect(out.stdout).toBe("");
  });

  it("dry run, then the migration, then a second run that raises nothing", async () => {
    const { oldFenceCollection, fenceCollection, args } = collectionArgs();
    await seedCounter2x(db, oldFenceCollection, "job:1", 5);
    await seedCounter2x(db, oldFenceCollection, "jobs/daily/ü🔒", 89_999_999_999_999);
    const counter = db.collection(fenceCollection).doc(documentId("job:1"));

    const dry = await runBin([...args, "--dry-run"]);
    expect(dry).toMatchObject({ code: 0, stderr: DEPRECATED });
    expect(dry.stdout).toMatch(/^Dry run: nothing was written\./);
    expect(dry.stdout).toMatch(/2\.x counters found: +2\n/);
    expect(dry.stdout).toMatch(/fence documents to raise: 2\n/);
    expect(dry.stdout).toMatch(/highest 2\.x fence: +089999999999999/);
    expect((await counter.get()).exists).toBe(false);

    const real = await runBin(args);
    expect(real).toMatchObject({ code: 0, stderr: DEPRECATED });
    expect(real.stdout).toMatch(/^Migration done\./);
    expect(real.stdout).toMatch(/fence documents raised: +2\n/);
    expect((await counter.get()).data()).toEqual({ fence: "000000000000005", key: "job:1" });

    const again = await runBin([...args, "--json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      dryRun: false,
      documentsScanned: 2,
      countersFound: 2,
      skipped: 0,
      skippedDocuments: [],
      fenceDocuments: 2,
      countersRaised: 0,
      highestFence: "089999999999999",
      unraised: [],
    });
  });

  it("--skip-subcollections leaves out 2.x keys containing '/'", async () => {
    const { oldFenceCollection, args } = collectionArgs();
    await seedCounter2x(db, oldFenceCollection, "job:1", 5);
    await seedCounter2x(db, oldFenceCollection, "jobs/daily/report", 7);
    const out = await runBin([...args, "--skip-subcollections", "--dry-run", "--json"]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ countersFound: 1 });
  });

  it("exits 1 when the migration fails (a malformed fence document)", async () => {
    const { oldFenceCollection, fenceCollection, args } = collectionArgs();
    await seedCounter2x(db, oldFenceCollection, "job:1", 5);
    await db.collection(fenceCollection).doc(documentId("job:1")).set({ fence: "garbage" });
    const out = await runBin(args);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^Migration failed: \[Internal\] Malformed fence counter document/m);
  });
});
