import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Election, elect, type LeaderTerm } from "@syncguard/core";
import { compareFence } from "@syncguard/core/driver";
import { asLockBackend, type SuiteContext } from "../context";
import { eventually, uniqueKey, untilAborted } from "../helpers";
import { raceInProcesses } from "./race";
import { checkRaceFences } from "./semaphore";

/**
 * Leader election (ADR-039), built by core on the plain lock: every backend has it. The
 * multi-process check needs `options.worker`.
 */
export function electionSuite(ctx: SuiteContext): void {
  ctx.test(
    "election.handover",
    "one of two candidates leads; leader() names its term (holderId, fence) and no lockId; when it resigns the other leads with a newer fence",
    async () => {
      const key = uniqueKey("election");
      const backend = asLockBackend(ctx.backend);
      const terms: {
        name: string;
        term: LeaderTerm<{
          backend: string;
          supportsFencing: boolean;
          timeAuthority: "server" | "client";
        }>;
      }[] = [];
      const candidates = new Map<string, Election<typeof backend.capabilities>>();
      for (const name of ["a", "b"]) {
        candidates.set(
          name,
          elect(backend, { key, ttlMs: ctx.ms(10_000) }, async (term) => {
            terms.push({ name, term });
            await untilAborted(term.signal);
          }),
        );
      }
      await eventually(() => terms.length === 1, ctx.ms(10_000));
      const first = terms[0]!;
      const leader = await candidates.get(first.name)!.leader();
      assert.ok(leader, "a leader is seen while a term runs");
      assert.deepEqual(Object.keys(leader).sort(), [
        "expiresAtMs",
        ...(ctx.fencing ? ["fence"] : []),
        "holderId",
        "sinceMs",
      ]);
      assert.equal(leader.holderId, first.term.holderId, "leader() names the term's holder");
      assert.equal(leader.fence, first.term.fence, "leader() shows the term's fence");
      await candidates.get(first.name)!.resign();
      await eventually(() => terms.length === 2, ctx.ms(10_000));
      const second = terms[1]!;
      assert.notEqual(second.name, first.name, "the other candidate leads next");
      if (ctx.fencing) assert.ok(compareFence(second.term.fence!, first.term.fence!) > 0);
      await candidates.get(second.name)!.resign();
      assert.equal(
        await candidates.get(second.name)!.leader(),
        null,
        "nobody leads after both resigned",
      );
    },
    { timeoutMs: 30_000 },
  );

  const { worker } = ctx.options;
  if (!worker) {
    const reason = "options.worker not given: child processes cannot build this backend";
    ctx.skip("election.race", "one leader at a time across processes", reason);
    return;
  }
  const processes = 4;
  const iterations = 5;
  ctx.test(
    "election.race",
    `${processes} processes campaigning ${iterations} times each: terms never overlap, every campaign leads once, fences unique and growing term by term`,
    async () => {
      const sections = await raceInProcesses(worker, processes, {
        modulePath: worker.modulePath,
        exportName: worker.exportName ?? "createBackend",
        key: uniqueKey("election-race"),
        iterations,
        ttlMs: ctx.ms(10_000),
        timeoutMs: ctx.ms(60_000),
        holdMs: 5,
        mode: "election",
        slotsDir: mkdtempSync(join(tmpdir(), "sg-election-race-")),
      });
      assert.equal(sections.length, processes * iterations, "every campaign led once");
      const overlapping = sections.filter((section) => section.overfull);
      assert.equal(
        overlapping.length,
        0,
        `${overlapping.length} terms began while another leader was still in office (pids ${overlapping.map((s) => s.pid).join(", ")})`,
      );
      if (ctx.fencing) checkRaceFences(sections);
    },
    { timeoutMs: 180_000 },
  );
}
