/** The suites, in the order they are registered. Each lives in `src/suites/<name>.ts`. */
export const SUITE_NAMES = [
  "acquire",
  "release",
  "extend",
  "isLocked",
  "lookup",
  "fencing",
  "expiry",
  "keys",
  "validation",
  "abort",
  "lock",
  "lease",
  "wait",
  "inventory",
  "events",
  "race",
  "semaphore",
  "election",
  "background",
  "secrets",
] as const;

export type SuiteName = (typeof SUITE_NAMES)[number];
