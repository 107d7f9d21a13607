/**
 * Scenario 2: a private redis-server is SIGKILLed and restarted on the same port.
 * (a) With AOF (`appendfsync always`): a lock held across the crash is still held, and fences
 *     continue strictly above their pre-crash values.
 * (b) Without persistence, the documented behaviour: every lock is gone and fence counters may
 *     restart; the same client reconnects and works again.
 * Both use the client that was connected before the crash, as a service would.
 */
import { type BackendConfig, type Connected, connect, uniqueName } from "../harness/backends";
import { sweepLeaks } from "../harness/leak-sweep";
import { createLedger, type Ledger, type LedgerReport } from "../harness/ledger";
import { concludeScenario } from "../harness/scenario";
import { type PrivateServer, ServiceHost } from "../harness/services";
import { monoMs, pollUntil } from "../harness/timing";

const KEYS = ["restart:a", "restart:b", "restart:c"];
const ROUNDS_PER_KEY = 3;
const HELD_KEY = "restart:held";

let host: ServiceHost;
beforeAll(async () => {
  host = await ServiceHost.start();
});
afterAll(() => host?.close());

/** Acquire/release rounds on every key, each logged as a section; returns the last fences. */
async function rounds(c: Connected, ledger: Ledger): Promise<Map<string, string>> {
  const last = new Map<string, string>();
  for (let round = 0; round < ROUNDS_PER_KEY; round++) {
    for (const key of KEYS) {
      const got = await c.backend.acquire({ key, ttlMs: 10_000 });
      if (!got.ok) throw new Error(`${key} unexpectedly locked`);
      const section = ledger.enter(key, got.fence);
      ledger.exit(section, "returned");
      expect(await c.backend.release({ lockId: got.lockId })).toMatchObject({ ok: true });
      last.set(key, got.fence);
    }
  }
  return last;
}

/** Kills the server, restarts it on its port, and waits until the old client works again. */
async function crashAndRestart(server: PrivateServer, c: Connected): Promise<number> {
  await server.kill();
  await server.restart();
  const restartedAt = monoMs();
  await pollUntil(
    "the client connected before the crash works again",
    async () => ((await c.backend.isLocked({ key: "restart:probe" })) === false ? true : undefined),
    { deadlineMs: 15_000, intervalMs: 50 },
  );
  return Math.round(monoMs() - restartedAt);
}

async function privateBackend(server: PrivateServer): Promise<Connected> {
  const config: BackendConfig = {
    kind: "redis-single",
    redisUrl: server.address,
    keyPrefix: uniqueName("restart"),
  };
  return connect(config);
}

describe("redis-server killed and restarted on the same port", () => {
  it.skip("redis-cluster: not run (a destructive scenario needs a private cluster)", () => {});

  it("redis-single with AOF: a held lock survives and fences continue above their pre-crash values", async () => {
    const server = await host.redis({ appendOnly: true });
    const c = await privateBackend(server);
    const ledger = createLedger("restart-aof");
    try {
      const before = await rounds(c, ledger);
      const held = await c.backend.acquire({ key: HELD_KEY, ttlMs: 60_000 });
      if (!held.ok) throw new Error("held key unexpectedly locked");
      // Open until released at the end: a second holder after the restart would overlap it.
      const heldSection = ledger.enter(HELD_KEY, held.fence);

      const reconnectMs = await crashAndRestart(server, c);

      const after = await rounds(c, ledger);
      const stillHeld = await c.backend.acquire({ key: HELD_KEY, ttlMs: 60_000 });
      if (stillHeld.ok) {
        const section = ledger.enter(HELD_KEY, stillHeld.fence);
        ledger.exit(section, "returned");
      }
      ledger.exit(heldSection, "returned");
      const heldReleased = await c.backend.release({ lockId: held.lockId });
      const report = ledger.read();
      concludeScenario(
        {
          scenario: "redis-restart-aof",
          backend: "redis-single",
          faults: 1,
          ops: report.intervals.length + 2,
          extra: {
            reconnectMs,
            fenceBefore: before.get(KEYS[0]!) ?? "",
            fenceAfter: after.get(KEYS[0]!) ?? "",
            heldLockSurvived: !stillHeld.ok,
          },
        },
        report,
      );
      for (const key of KEYS) expect(after.get(key)! > before.get(key)!).toBe(true);
      expect(stillHeld.ok).toBe(false);
      expect(heldReleased).toMatchObject({ ok: true });
    } finally {
      await c.close();
      await server.stop();
      ledger.dispose();
    }
  });

  it("redis-single without persistence: locks are gone, fences may restart, the client works again", async () => {
    const server = await host.redis();
    const c = await privateBackend(server);
    // Two epochs: fence order is only promised within one server lifetime here.
    const beforeLedger = createLedger("restart-none-before");
    const afterLedger = createLedger("restart-none-after");
    try {
      const before = await rounds(c, beforeLedger);
      const held = await c.backend.acquire({ key: HELD_KEY, ttlMs: 60_000 });
      if (!held.ok) throw new Error("held key unexpectedly locked");

      const reconnectMs = await crashAndRestart(server, c);

      const heldAfterRestart = await c.backend.isLocked({ key: HELD_KEY });
      const lateRelease = await c.backend.release({ lockId: held.lockId });
      const after = await rounds(c, afterLedger);
      const restarted = KEYS.filter((key) => after.get(key)! <= before.get(key)!);
      const reports: LedgerReport[] = [beforeLedger.read(), afterLedger.read()];
      concludeScenario(
        {
          scenario: "redis-restart-no-persistence",
          backend: "redis-single",
          faults: 1,
          ops: reports[0]!.intervals.length + reports[1]!.intervals.length + 3,
          extra: {
            reconnectMs,
            locksGone: !heldAfterRestart,
            lateReleaseOk: lateRelease.ok,
            fencesRestarted: `${restarted.length}/${KEYS.length}`,
            fenceBefore: before.get(KEYS[0]!) ?? "",
            fenceAfter: after.get(KEYS[0]!) ?? "",
            documented: "restart-without-persistence-loses-locks-and-may-reissue-fences",
          },
        },
        {
          intervals: reports.flatMap((r) => r.intervals),
          overlaps: reports.flatMap((r) => r.overlaps),
          fenceRegressions: reports.flatMap((r) => r.fenceRegressions),
          unclosed: reports.flatMap((r) => r.unclosed),
        },
      );
      expect(heldAfterRestart).toBe(false);
      expect(lateRelease).toMatchObject({ ok: false });
    } finally {
      await c.close();
      await server.stop();
      beforeLedger.dispose();
      afterLedger.dispose();
    }
  });
});

sweepLeaks();
