import { randomBytes } from "node:crypto";
import type { ScheduleEvent } from "../src";

export const uniqueName = (label: string): string =>
  `${label}-${randomBytes(6).toString("base64url")}`;

/** Polls `done` until it holds or `ms` pass (no fixed sleeps). */
export async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done() && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The slots every one of `instances` decided (ran or skipped), from their events. */
export function slotsDecidedByAll(events: ScheduleEvent[], instances: number): number[] {
  const counts = new Map<number, number>();
  for (const e of events) {
    if (e.type !== "ran" && e.type !== "skipped") continue;
    const slot = e.slot.getTime();
    counts.set(slot, (counts.get(slot) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n === instances).map(([slot]) => slot);
}
