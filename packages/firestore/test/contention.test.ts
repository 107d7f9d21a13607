import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Firestore } from "@google-cloud/firestore";
import { createFirestoreBackend } from "../src";
import { docIds, freshBackend, freshCollections, useEmulatorProject } from "./helpers";

const run = promisify(execFile);
let db: Firestore;
const projectId = useEmulatorProject("race", (created: Firestore) => {
  db = created;
});

describe("transaction contention (ABORTED is retried)", () => {
  it("5 clients acquiring one fresh key at once: exactly one winner, nobody throws", async () => {
    // Separate backend objects: one backend queues its own acquires of a key (see KeyGate), so
    // only separate clients produce real colliding transactions, as separate processes do.
    const names = freshCollections("aborted");
    const clients = Array.from({ length: 5 }, () => createFirestoreBackend(db, names));
    const { collection } = names;
    const started = Date.now();
    const results = await Promise.all(
      clients.map((backend) => backend.acquire({ key: "fresh", ttlMs: 10_000 })),
    );
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ fence: "000000000000001" });
    for (const loser of results.filter((r) => !r.ok)) {
      expect(loser).toMatchObject({ reason: "locked", holder: { fence: "000000000000001" } });
    }
    expect(await docIds(db, collection)).toEqual(["fresh"]);
    console.log(`5 colliding acquires resolved in ${Date.now() - started} ms`);
  });

  it("one backend's concurrent acquires of a key queue instead of colliding", async () => {
    const { backend } = freshBackend(db);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => backend.acquire({ key: "local", ttlMs: 10_000 })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000); // no 2 s emulator lock timeout
  });

  it("concurrent release and acquire on one key stay consistent", async () => {
    const names = freshCollections("swap");
    const holder = createFirestoreBackend(db, names);
    const others = Array.from({ length: 3 }, () => createFirestoreBackend(db, names));
    const held = await holder.acquire({ key: "swap", ttlMs: 10_000 });
    if (!held.ok) throw new Error("expected the lock");
    const [released, ...attempts] = await Promise.all([
      holder.release({ lockId: held.lockId }),
      ...others.map((backend) => backend.acquire({ key: "swap", ttlMs: 10_000 })),
    ]);
    expect(released).toEqual({ ok: true });
    expect(attempts.filter((r) => r.ok).length).toBeLessThanOrEqual(1);
  });
});

describe("multi-process race", () => {
  const processes = 4;
  const iterations = 25;

  it(`${processes} processes x ${iterations} critical sections: no overlap, exact counter, increasing fences`, async () => {
    const { collection, fenceCollection } = freshBackend(db);
    const dir = mkdtempSync(path.join(tmpdir(), "sg-fs-race-"));
    const logFile = path.join(dir, "log");
    const counterFile = path.join(dir, "counter");
    writeFileSync(logFile, "");
    writeFileSync(counterFile, "0");
    const worker = path.join(__dirname, "fixtures", "race-worker.js");
    const startAt = Date.now() + 4000;
    try {
      const outputs = await Promise.all(
        Array.from({ length: processes }, () =>
          run(
            process.execPath,
            [
              worker,
              projectId,
              collection,
              fenceCollection,
              "race-key",
              String(iterations),
              logFile,
              counterFile,
              String(startAt),
            ],
            { env: process.env, timeout: 170_000 },
          ),
        ),
      );
      const elapsed = Date.now() - startAt;
      const reports = outputs.map(
        (o) => JSON.parse(o.stdout) as { attempts: number; transientErrors: number },
      );
      const attempts = reports.map((r) => r.attempts);
      const transient = reports.reduce((sum, r) => sum + r.transientErrors, 0);
      const total = processes * iterations;
      expect(Number(readFileSync(counterFile, "utf8"))).toBe(total);
      const lines = readFileSync(logFile, "utf8").trim().split("\n");
      expect(lines).toHaveLength(2 * total);
      let lastFence = "";
      let lastPid = "";
      let handoffs = 0;
      for (let i = 0; i < lines.length; i += 2) {
        const [enterWord, enterPid, enterFence] = (lines[i] ?? "").split(" ");
        const [exitWord, exitPid, exitFence] = (lines[i + 1] ?? "").split(" ");
        // Every enter is followed directly by its own exit: nobody overlapped.
        expect([enterWord, exitWord]).toEqual(["enter", "exit"]);
        expect(exitPid).toBe(enterPid);
        expect(exitFence).toBe(enterFence);
        expect((enterFence ?? "") > lastFence).toBe(true);
        if (lastPid && enterPid !== lastPid) handoffs++;
        lastPid = enterPid ?? "";
        lastFence = enterFence ?? "";
      }
      expect(lastFence).toBe(String(total).padStart(15, "0"));
      expect(handoffs).toBeGreaterThanOrEqual(processes - 1); // the processes really interleaved
      console.log(
        `race: ${total} critical sections in ${elapsed} ms (${(elapsed / total).toFixed(0)} ms each), acquire attempts per process ${attempts.join("/")}, ${handoffs} handoffs between processes, ${transient} transient errors retried`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe("concurrent releases and extends of different keys (issue 13, item 7)", () => {
  // A query inside a transaction locks the range it scanned, so concurrent transactions querying
  // one collection by lockId wait for each other; the operations must not depend on that.
  const COUNT = 30;
  const TIMEOUT_MS = 5_000;

  async function holdKeys(label: string) {
    const { backend, collection } = freshBackend(db, { operationTimeoutMs: TIMEOUT_MS });
    const held = await Promise.all(
      Array.from({ length: COUNT }, async (_, i) => {
        const result = await backend.acquire({ key: `${label}:${i}`, ttlMs: 60_000 });
        if (!result.ok) throw new Error(`could not take ${label}:${i}`);
        return result;
      }),
    );
    return { backend, collection, held };
  }

  it(`${COUNT} concurrent releases all succeed within operationTimeoutMs`, async () => {
    const { backend, collection, held } = await holdKeys("rel");
    const started = performance.now();
    const results = await Promise.allSettled(held.map(({ lockId }) => backend.release({ lockId })));
    const elapsed = Math.round(performance.now() - started);
    console.log(`${COUNT} concurrent releases settled in ${elapsed} ms`);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : String(r.reason)))).toEqual(
      held.map(() => ({ ok: true })),
    );
    expect(await docIds(db, collection)).toEqual([]);
  });

  it(`${COUNT} concurrent extends all succeed within operationTimeoutMs`, async () => {
    const { backend, held } = await holdKeys("ext");
    const started = performance.now();
    const results = await Promise.allSettled(
      held.map(({ lockId }) => backend.extend({ lockId, ttlMs: 120_000 })),
    );
    const elapsed = Math.round(performance.now() - started);
    console.log(`${COUNT} concurrent extends settled in ${elapsed} ms`);
    const outcomes = results.map((r) => (r.status === "fulfilled" ? r.value.ok : String(r.reason)));
    expect(outcomes).toEqual(held.map(() => true));
    for (const [i, { lockId }] of held.entries()) {
      expect(await backend.lookup({ lockId })).toMatchObject({ key: `ext:${i}` });
    }
  });
});
