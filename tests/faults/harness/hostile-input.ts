/**
 * Hostile input for the public API, and the contract's verdict on it. Arbitraries produce keys,
 * lockIds, TTLs and option objects of every shape; `callArb` turns them into calls of
 * backend.acquire/release/extend/isLocked/lookup and core's lock()/acquire(), each tagged with
 * whether the contract accepts it (specs/interface.md §3, §4, §6, §8; README option table).
 */
import { LOCK_ID_LENGTH } from "@syncguard/core/driver";
import fc from "fast-check";

const MAX_KEY_BYTES = 4096;
const MAX_TTL_MS = 2 ** 31 - 1;
/** The lockId shape is core's (a length it exports); the oracle checks it independently. */
const LOCK_ID = new RegExp(`^[A-Za-z0-9_-]{${LOCK_ID_LENGTH}}$`);

export type Op = "acquire" | "release" | "extend" | "isLocked" | "lookup" | "lock" | "core-acquire";

export interface Call {
  op: Op;
  input: unknown;
  /** What the contract says: true = must work, false = must be InvalidArgument before I/O. */
  valid: boolean;
}

// ---- the contract, as predicates

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function validKey(key: unknown): boolean {
  if (typeof key !== "string" || key.length === 0 || LONE_SURROGATE.test(key)) return false;
  return Buffer.byteLength(key.normalize("NFC"), "utf8") <= MAX_KEY_BYTES;
}

const validTtl = (v: unknown) =>
  typeof v === "number" && Number.isInteger(v) && v > 0 && v <= MAX_TTL_MS;
const nonNegativeInteger = (v: unknown, max: number) =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= max;
const validLockId = (v: unknown) => typeof v === "string" && LOCK_ID.test(v);
const validSignal = (v: unknown) => v instanceof AbortSignal;

/** Optional fields: absent is fine, present must pass its check. */
function fieldsValid(o: Record<string, unknown>, checks: Record<string, (v: unknown) => boolean>) {
  return Object.entries(checks).every(([name, check]) => !(name in o) || check(o[name]));
}

const LOCK_OPTION_CHECKS: Record<string, (v: unknown) => boolean> = {
  ttlMs: validTtl,
  timeoutMs: (v) => nonNegativeInteger(v, MAX_TTL_MS),
  maxRetries: (v) => nonNegativeInteger(v, Number.MAX_SAFE_INTEGER),
  retryDelayMs: (v) => nonNegativeInteger(v, MAX_TTL_MS),
  maxRetryDelayMs: (v) => nonNegativeInteger(v, MAX_TTL_MS),
  releaseTimeoutMs: validTtl,
  jitter: (v) => v === "equal" || v === "full" || v === "none",
  autoExtend: (v) => typeof v === "boolean",
  signal: validSignal,
  onEvent: (v) => typeof v === "function",
  onReleaseError: (v) => typeof v === "function",
};

export function verdict(op: Op, input: unknown): boolean {
  if (!isObject(input)) return false;
  switch (op) {
    case "acquire":
      return (
        validKey(input.key) && validTtl(input.ttlMs) && fieldsValid(input, { signal: validSignal })
      );
    case "release":
      return validLockId(input.lockId) && fieldsValid(input, { signal: validSignal });
    case "extend":
      return (
        validLockId(input.lockId) &&
        validTtl(input.ttlMs) &&
        fieldsValid(input, { signal: validSignal })
      );
    case "isLocked":
      return validKey(input.key) && fieldsValid(input, { signal: validSignal });
    case "lookup": {
      const targets = ["key" in input, "lockId" in input].filter(Boolean).length;
      if (targets !== 1 || !fieldsValid(input, { signal: validSignal })) return false;
      return "key" in input ? validKey(input.key) : validLockId(input.lockId);
    }
    case "lock":
    case "core-acquire":
      return validKey(input.key) && fieldsValid(input, LOCK_OPTION_CHECKS);
  }
}

// ---- arbitraries

/** Anything that is not the right type for most fields. */
const wrongType = fc.constantFrom<unknown>(
  null,
  0,
  1,
  -1,
  Number.NaN,
  true,
  false,
  {},
  [],
  ["a"],
  10n,
  () => 1,
);

/** One unit of a hostile string: any code point, a lone surrogate, or a character with a job. */
const hostileUnit = fc.oneof(
  { weight: 20, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom("\u0000", "e\u0301", "~", ":", "{", "}", "/", ".", "_", " "),
  },
);

const specialKeys = fc.constantFrom(
  "",
  "\u0000",
  "\ud800",
  "a\udc00b",
  "\udfff\ud800",
  "e\u0301",
  " ",
  ".",
  "..",
  "__x__",
  "{tag}",
  "a:fence",
  "x".repeat(2000),
  "x".repeat(MAX_KEY_BYTES),
  "x".repeat(MAX_KEY_BYTES + 1),
  "é".repeat(MAX_KEY_BYTES / 2),
  "é".repeat(MAX_KEY_BYTES / 2 + 1),
  "e\u0301".repeat(1365), // 4095 bytes decomposed, 2730 composed: valid after NFC
  "\u{1d11e}".repeat(MAX_KEY_BYTES / 4),
);

export const keyArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: hostileUnit, maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 20 }) },
  { weight: 2, arbitrary: specialKeys },
  { weight: 1, arbitrary: wrongType },
);

export const ttlArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: MAX_TTL_MS }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<unknown>(
      0,
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      MAX_TTL_MS + 1,
      2 ** 53,
      "1000",
      "",
    ),
  },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: wrongType },
);

export const lockIdArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(LOCK_ID) },
  { weight: 2, arbitrary: fc.string({ unit: hostileUnit, maxLength: 30 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "",
      "A".repeat(LOCK_ID_LENGTH - 1),
      "A".repeat(LOCK_ID_LENGTH + 1),
      `${"A".repeat(LOCK_ID_LENGTH - 1)}=`,
      `${"A".repeat(LOCK_ID_LENGTH - 1)}\u0000`,
      `${"A".repeat(LOCK_ID_LENGTH - 2)}+/`,
      `${"A".repeat(LOCK_ID_LENGTH - 1)}\ud800`,
    ),
  },
  { weight: 1, arbitrary: wrongType },
);

// Optional option fields: mostly valid values, so calls with several options still often pass
// and the "valid must work" half of the property is exercised. Never `null` there: whether null
// means "absent" is not settled by the contract (null as the whole options object is generated).
const noNull = (arb: fc.Arbitrary<unknown>) => arb.filter((v) => v !== null);

/** A live signal (fresh per sample), or something that only looks like one. */
const signalArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined).map(() => new AbortController().signal) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>({}, { aborted: false }, "abort", 1, [], true) },
);
const booleanishArb = fc.oneof(
  { weight: 3, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constantFrom<unknown>("false", "true", 0, 1, [], {}) },
);
const countArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 50 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(
      -1,
      1.5,
      "5",
      Number.NaN,
      Number.POSITIVE_INFINITY,
      [],
      {},
      MAX_TTL_MS + 1,
    ),
  },
);
const handlerArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant(() => {}) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>("log", {}, 1) },
);
const jitterArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<unknown>("equal", "full", "none") },
  { weight: 1, arbitrary: fc.constantFrom<unknown>("sometimes", 1, "") },
);

/** Wrapped so fast-check can drop fields: an absent field differs from any value. */
const options = <T extends Record<string, fc.Arbitrary<unknown>>>(
  fields: T,
  required: (keyof T)[],
) => fc.record(fields, { requiredKeys: required as never[] });

const notAnObject = fc.constantFrom<unknown>(undefined, null, 42, "key", [], [{ key: "a" }]);

const inputArb = (object: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 9, arbitrary: object }, { weight: 1, arbitrary: notAnObject });

const byOp: Record<Op, fc.Arbitrary<unknown>> = {
  acquire: inputArb(options({ key: keyArb, ttlMs: ttlArb, signal: signalArb }, ["key", "ttlMs"])),
  release: inputArb(options({ lockId: lockIdArb, signal: signalArb }, ["lockId"])),
  extend: inputArb(
    options({ lockId: lockIdArb, ttlMs: ttlArb, signal: signalArb }, ["lockId", "ttlMs"]),
  ),
  isLocked: inputArb(options({ key: keyArb, signal: signalArb }, ["key"])),
  lookup: inputArb(options({ key: keyArb, lockId: lockIdArb, signal: signalArb }, [])),
  lock: inputArb(lockOptionsArb()),
  "core-acquire": inputArb(lockOptionsArb()),
};

function lockOptionsArb() {
  return options(
    {
      key: keyArb,
      ttlMs: noNull(ttlArb),
      timeoutMs: countArb,
      maxRetries: countArb,
      retryDelayMs: countArb,
      maxRetryDelayMs: countArb,
      releaseTimeoutMs: noNull(ttlArb),
      jitter: jitterArb,
      autoExtend: booleanishArb,
      signal: signalArb,
      onEvent: handlerArb,
      onReleaseError: handlerArb,
    },
    ["key"],
  );
}

export const callArb: fc.Arbitrary<Call> = fc
  .constantFrom<Op>("acquire", "release", "extend", "isLocked", "lookup", "lock", "core-acquire")
  .chain((op) => byOp[op].map((input) => ({ op, input, valid: verdict(op, input) })));

/** The hostile lock options named in issue 13 and the README's option table, one per case. */
export const CURATED_LOCK_OPTIONS: Array<[string, unknown]> = [
  ['autoExtend: "false"', { key: "k", autoExtend: "false" }],
  ["signal: {}", { key: "k", signal: {} }],
  ['timeoutMs: "5"', { key: "k", timeoutMs: "5" }],
  ["options null", null],
  ["options []", []],
  ['ttlMs: "1000"', { key: "k", ttlMs: "1000" }],
  ["ttlMs: NaN", { key: "k", ttlMs: Number.NaN }],
  ["ttlMs: 2^31", { key: "k", ttlMs: 2 ** 31 }],
  ["maxRetries: 1.5", { key: "k", maxRetries: 1.5 }],
  ['jitter: "sometimes"', { key: "k", jitter: "sometimes" }],
  ["autoExtend: 1", { key: "k", autoExtend: 1 }],
  ['onEvent: "log"', { key: "k", onEvent: "log" }],
  ["onReleaseError: {}", { key: "k", onReleaseError: {} }],
  ["key: lone surrogate", { key: "\ud800" }],
];

/** Short, printable description of an input (long strings cut, functions named). */
export function show(value: unknown): string {
  const text = JSON.stringify(value, (_k, v) => {
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "function") return "<function>";
    if (v instanceof AbortSignal) return "<AbortSignal>";
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    if (typeof v === "string" && v.length > 40) return `${v.slice(0, 20)}…(${v.length} chars)`;
    return v;
  });
  return text ?? String(value);
}
