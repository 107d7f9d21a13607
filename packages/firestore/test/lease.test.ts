import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { probeAutoExtend } from "@syncguard/conformance";
import { createFirestoreBackend } from "../src";
import { freshCollections, newDb, projectIdFor, warmUp } from "./helpers";

// Issue 9 acceptance on the emulator: a holder whose Firestore becomes unreachable stops before
// its lease can expire, and auto-extend keeps a short lease through a long critical section.
const projectId = projectIdFor("lease");
const key = (label: string) => `${label}:${Math.random().toString(36).slice(2)}`;

const run = promisify(execFile);

describe("lease on Firestore", () => {
  it("a holder whose Firestore becomes unreachable is aborted before its lease expires", async () => {
    const names = freshCollections("lease");
    await warmUp(newDb(projectId));
    const script = join(__dirname, "fixtures", "lease-unreachable.js");
    const { stdout } = await run(process.execPath, [
      script,
      projectId,
      names.collection,
      names.fenceCollection,
      key("unreachable"),
    ]);
    const report = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    console.log(
      `unreachable Firestore: holder aborted ${report.marginMs} ms before its lease expired`,
    );
    expect(report).toMatchObject({
      outcome: "LockLost",
      signalReason: "LockLost",
      stillHeldAtAbort: true, // it stopped while the lock still protected it
      releaseErrors: ["NetworkTimeout"],
    });
    expect(report.marginMs).toBeGreaterThan(0);
  }, 60_000);

  it("autoExtend keeps a 1 s lock through a 10 s critical section; no other client gets in", async () => {
    const holderDb = newDb(projectId);
    const otherDb = newDb(projectId);
    const names = freshCollections("long");
    const holder = createFirestoreBackend(holderDb, names);
    const other = createFirestoreBackend(otherDb, names);
    await warmUp(holderDb);
    const lockKey = key("long");
    try {
      const result = await probeAutoExtend(holder, other, {
        key: lockKey,
        ttlMs: 1_000,
        workMs: 10_000,
      });
      expect(result).toMatchObject({ intrusions: 0, aborted: false, releasedAfter: true });
      expect(result.attempts).toBeGreaterThan(30);
    } finally {
      await holder.close();
      await other.close();
      await Promise.allSettled([holderDb.terminate(), otherDb.terminate()]);
    }
  }, 60_000);
});
