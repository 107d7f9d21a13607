import {
  compareFence,
  FENCE_DIGITS,
  formatFence,
  generateLockId,
  isFence,
  LOCK_ID_LENGTH,
  LockError,
  lockIdRoute,
  MAX_FENCE,
  parseFence,
  validateLockId,
} from "../src";

describe("lockId", () => {
  it("is 24 URL-safe characters and unique", () => {
    const ids = new Set(Array.from({ length: 5000 }, () => generateLockId()));
    expect(ids.size).toBe(5000);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(LOCK_ID_LENGTH).toBe(24);
  });
  it("carries the route it was generated with", () => {
    for (const route of [0, 1, 0x1234, 0xffff])
      expect(lockIdRoute(generateLockId(route))).toBe(route);
  });
  it.each([
    "",
    "short",
    "x".repeat(23),
    "x".repeat(25),
    `${"x".repeat(23)}+`,
    `${"x".repeat(23)}/`,
    `${"x".repeat(23)}=`,
    ` ${"x".repeat(23)}`,
    null,
    undefined,
    42,
  ])("rejects malformed id %p", (bad) => {
    expect(() => validateLockId(bad)).toThrow(LockError);
    expect(() => validateLockId(bad)).toThrow(/Invalid lockId format/);
  });
});

describe("fence", () => {
  it("is fixed-width so string order equals numeric order", () => {
    const values = [1, 9, 10, 99, 100, 123456789, MAX_FENCE];
    const fences = values.map(formatFence);
    for (const f of fences) expect(f).toHaveLength(FENCE_DIGITS);
    expect([...fences].sort()).toEqual(fences);
    expect(compareFence(formatFence(9), formatFence(10))).toBeLessThan(0);
    expect(compareFence(formatFence(10), formatFence(10))).toBe(0);
    expect(compareFence(formatFence(11), formatFence(10))).toBeGreaterThan(0);
  });
  it("round-trips through parseFence and rejects bad values", () => {
    expect(parseFence(formatFence(42))).toBe(42n);
    expect(isFence("000000000000001")).toBe(true);
    expect(isFence("1")).toBe(false);
    expect(() => parseFence("12a")).toThrow(LockError);
    expect(() => compareFence("1", "000000000000001")).toThrow(LockError);
  });
  it("refuses values outside 1..MAX_FENCE", () => {
    expect(() => formatFence(0)).toThrow(/outside/);
    expect(() => formatFence(MAX_FENCE + 1)).toThrow(/outside/);
    expect(formatFence(BigInt(MAX_FENCE))).toBe("900000000000000");
  });
});
