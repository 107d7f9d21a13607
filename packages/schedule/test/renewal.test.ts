/**
 * On a real Redis: a run longer than its lease and than its interval keeps its job renewed (the
 * default of lock()), ends normally, and the slots it overlaps are missed, not run beside it.
 */
import type { LockEvent } from "@syncguard/core";
import { createLock } from "@syncguard/redis";
import { createClient } from "redis";
import { runOnce, type ScheduledRun } from "../src";
import { recorder, requireEnv, sleep, uniqueName, until } from "./helpers";

it("a run of 1.5 s with a 600 ms lease and 300 ms slots is renewed, ends normally, and blocks the slots it overlaps", async () => {
  const client = await createClient({ url: requireEnv("REDIS_URL") }).connect();
  const lockEvents: LockEvent[] = [];
  const lock = createLock(client, {
    keyPrefix: uniqueName("sg-schedule"),
    onEvent: (event) => lockEvents.push(event),
  });
  try {
    const name = uniqueName("long");
    const seen = recorder();
    const runs: { slot: number; abortedAtEnd: boolean }[] = [];
    const job = async (run: ScheduledRun) => {
      if (runs.length === 0) await sleep(1_500);
      runs.push({ slot: run.slot.getTime(), abortedAtEnd: run.signal.aborted });
    };
    const options = { name, ttlMs: 600, lateAfterMs: 200, onEvent: seen.onEvent };
    const slot = Date.now();
    const first = runOnce(lock, options, job)(new Date(slot));
    for (const next of [slot + 300, slot + 600, slot + 900]) {
      await until(next);
      await runOnce(lock, options, job)(new Date(next));
    }
    await first;
    expect(seen.of("failed")).toEqual([]);
    expect(runs).toEqual([{ slot, abortedAtEnd: false }]);
    expect(seen.of("ran").map((e) => e.slot.getTime())).toEqual([slot]);
    expect(seen.of("missed").map((e) => [e.slot.getTime() - slot, e.reason])).toEqual([
      [300, "overlap"],
      [600, "overlap"],
      [900, "overlap"],
    ]);
    const renewals = lockEvents.filter(
      (e) => e.type === "extended" && e.key === `schedule:job:${name}`,
    );
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect(renewals.every((e) => e.type === "extended" && e.ok)).toBe(true);
    expect(lockEvents.filter((e) => e.type === "lost")).toEqual([]);
  } finally {
    await lock.close();
    await client.quit();
  }
});
