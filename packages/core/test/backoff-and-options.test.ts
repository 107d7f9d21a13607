import { LockError } from "../src";
import { backoffDelay, LOCK_DEFAULTS } from "../src/for-drivers";
import { resolveLockOptions } from "../src/options";

const policy = { retryDelayMs: 100, maxRetryDelayMs: 1000, jitter: "none" as const };

describe("backoffDelay", () => {
  it("doubles per retry and is capped", () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((n) => backoffDelay(n, policy))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ]);
  });
  it("equal jitter stays within [d/2, d]", () => {
    const p = { ...policy, jitter: "equal" as const };
    expect(backoffDelay(1, p, () => 0)).toBe(50);
    expect(backoffDelay(1, p, () => 0.5)).toBe(75);
    expect(backoffDelay(1, p, () => 0.999)).toBeLessThan(100);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, p);
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
  it("full jitter stays within [0, d]", () => {
    const p = { ...policy, jitter: "full" as const };
    expect(backoffDelay(2, p, () => 0.25)).toBe(50);
    expect(backoffDelay(2, p, () => 0)).toBe(0);
  });
});

describe("resolveLockOptions", () => {
  it("applies the documented defaults", () => {
    const r = resolveLockOptions({ key: "k" });
    expect(r).toMatchObject({
      key: "k",
      ttlMs: 30000,
      timeoutMs: 5000,
      maxRetries: 10,
      retryDelayMs: 100,
      jitter: "equal",
      autoExtend: true,
      maxHoldMs: 3_600_000,
    });
    expect(resolveLockOptions({ key: "k" }, {}, "acquire")).toMatchObject({
      autoExtend: false,
      maxHoldMs: Number.POSITIVE_INFINITY,
    });
    expect(LOCK_DEFAULTS.ttlMs).toBe(30000);
  });
  it("reads top-level retry options, then the legacy nested form, then defaults", () => {
    expect(
      resolveLockOptions({ key: "k", timeoutMs: 1, maxRetries: 2, retryDelayMs: 3 }),
    ).toMatchObject({
      timeoutMs: 1,
      maxRetries: 2,
      retryDelayMs: 3,
    });
    expect(
      resolveLockOptions({ key: "k", acquisition: { timeoutMs: 7, maxRetries: 0 } }),
    ).toMatchObject({
      timeoutMs: 7,
      maxRetries: 0,
    });
    expect(
      resolveLockOptions(
        { key: "k", timeoutMs: 9, acquisition: { timeoutMs: 7 } },
        { maxRetries: 4 },
      ),
    ).toMatchObject({ timeoutMs: 9, maxRetries: 4 });
  });
  it.each([
    { ttlMs: 0 },
    { ttlMs: -1 },
    { ttlMs: 1.5 },
    { ttlMs: Number.NaN },
    { timeoutMs: -1 },
    { maxRetries: 1.2 },
    { retryDelayMs: -5 },
    { jitter: "wild" },
  ])("rejects %p with InvalidArgument", (bad) => {
    expect(() => resolveLockOptions({ key: "k", ...(bad as object) })).toThrow(LockError);
  });
});
