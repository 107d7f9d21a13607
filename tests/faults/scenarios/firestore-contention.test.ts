/**
 * Scenario 7: Firestore transactions under contention, on the shared emulator with fresh
 * collections per test. 16 concurrent acquires of one key: exactly one wins, the others get a
 * `locked` result (contention is never an error). 30 concurrent releases of 30 held keys: all
 * { ok: true } within the operation timeout, and every key free afterwards.
 */
import { connect, sharedConfig } from "../harness/backends";
import { describeError } from "../harness/errors";
import { sweepLeaks } from "../harness/leak-sweep";
import { createLedger, noSections } from "../harness/ledger";
import { concludeScenario } from "../harness/scenario";
import { monoMs, settleWithin } from "../harness/timing";

const OPERATION_TIMEOUT_MS = 10_000; // the backend's default, stated for the record
const CONTENDERS = 16;
const RELEASES = 30;

describe("Firestore contention", () => {
  it(`firestore: ${CONTENDERS} concurrent acquires of one key, exactly one wins`, async () => {
    const c = await connect({
      ...sharedConfig("firestore", "contend"),
      operationTimeoutMs: OPERATION_TIMEOUT_MS,
    });
    const ledger = createLedger("contend");
    try {
      const start = monoMs();
      const results = await Promise.all(
        Array.from({ length: CONTENDERS }, () =>
          settleWithin(
            c.backend.acquire({ key: "hot", ttlMs: 30_000 }),
            OPERATION_TIMEOUT_MS + 5000,
          ),
        ),
      );
      const elapsedMs = Math.round(monoMs() - start);
      const winners = results.flatMap((r) => (r.settled && r.ok && r.value.ok ? [r.value] : []));
      const locked = results.filter((r) => r.settled && r.ok && !r.value.ok).length;
      const failures = results.flatMap((r) =>
        !r.settled ? [`pending at ${r.ms} ms`] : r.ok ? [] : [describeError(r.error)],
      );
      for (const w of winners) ledger.enter("hot", w.fence); // all open at once: >1 would overlap
      concludeScenario(
        {
          scenario: "firestore-acquire-contention",
          backend: "firestore",
          faults: 0,
          ops: CONTENDERS,
          extra: { winners: winners.length, locked, errors: failures.length, elapsedMs },
        },
        ledger.read(),
      );
      expect(failures).toEqual([]);
      expect(winners).toHaveLength(1);
      expect(locked).toBe(CONTENDERS - 1);
    } finally {
      await c.close();
      ledger.dispose();
    }
  }, 60_000);

  it(`firestore: ${RELEASES} concurrent releases of different keys all succeed`, async () => {
    const c = await connect({
      ...sharedConfig("firestore", "release"),
      operationTimeoutMs: OPERATION_TIMEOUT_MS,
    });
    try {
      const keys = Array.from({ length: RELEASES }, (_, i) => `release:${i}`);
      const held = [];
      for (const key of keys) {
        const r = await c.backend.acquire({ key, ttlMs: 60_000 });
        if (!r.ok) throw new Error(`${key} unexpectedly locked`);
        held.push(r);
      }
      const start = monoMs();
      const results = await Promise.all(
        held.map((h) =>
          settleWithin(c.backend.release({ lockId: h.lockId }), OPERATION_TIMEOUT_MS + 5000, start),
        ),
      );
      const elapsedMs = Math.round(monoMs() - start);
      const ok = results.filter((r) => r.settled && r.ok && r.value.ok).length;
      const failures = results.flatMap((r, i) =>
        !r.settled
          ? [`${keys[i]}: pending at ${r.ms} ms`]
          : r.ok
            ? r.value.ok
              ? []
              : [`${keys[i]}: { ok: false }`]
            : [`${keys[i]}: ${describeError(r.error)} after ${r.ms} ms`],
      );
      const slowestMs = Math.max(...results.map((r) => r.ms));
      const stillLocked = (
        await Promise.all(keys.map((key) => c.backend.isLocked({ key })))
      ).filter(Boolean).length;
      concludeScenario(
        {
          scenario: "firestore-concurrent-release",
          backend: "firestore",
          faults: 0,
          ops: RELEASES,
          extra: { ok: `${ok}/${RELEASES}`, slowestMs, elapsedMs, stillLocked },
        },
        noSections(),
      );
      expect(failures).toEqual([]);
      expect(slowestMs).toBeLessThanOrEqual(OPERATION_TIMEOUT_MS);
      expect(stillLocked).toBe(0);
    } finally {
      await c.close();
    }
  }, 60_000);
});

sweepLeaks();
