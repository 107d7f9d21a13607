import { randomBytes } from "node:crypto";
import { createLock, type LockFunction } from "@syncguard/core";
import { createMemoryBackend } from "@syncguard/core/memory";
import type { ScheduleEvent } from "../src";

export const HINT =
  "run `pnpm test` from the repo root, or `node scripts/services.mjs run --redis --postgres -- pnpm --filter @syncguard/schedule test`";

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: ${HINT}`);
  return value;
}

export const uniqueName = (label: string): string =>
  `${label}-${randomBytes(6).toString("base64url")}`;

/** Two lock functions on one memory backend: two instances sharing a store. */
export function twoInstances(): [LockFunction, LockFunction] {
  const backend = createMemoryBackend();
  return [createLock(backend), createLock(backend)];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until the wall clock reaches `ms`. */
export async function until(ms: number): Promise<void> {
  const wait = ms - Date.now();
  if (wait > 0) await sleep(wait);
}

/** Records schedule events, by type. */
export function recorder() {
  const events: ScheduleEvent[] = [];
  return {
    events,
    onEvent: (event: ScheduleEvent) => {
      events.push(event);
    },
    of: <K extends ScheduleEvent["type"]>(type: K) =>
      events.filter((e): e is Extract<ScheduleEvent, { type: K }> => e.type === type),
  };
}
