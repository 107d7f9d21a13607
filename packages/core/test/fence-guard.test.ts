import { assertFenceNewer, isLockError } from "../src";
import { formatFence, isStaleFenceError } from "../src/for-drivers";

describe("assertFenceNewer", () => {
  const f = (n: number) => formatFence(n);

  it("passes a first write, a newer fence and the same holder writing again", () => {
    expect(() => assertFenceNewer(f(5), null)).not.toThrow();
    expect(() => assertFenceNewer(f(5), undefined)).not.toThrow();
    expect(() => assertFenceNewer(f(6), f(5))).not.toThrow();
    expect(() => assertFenceNewer(f(5), f(5))).not.toThrow();
  });

  it("refuses an older fence with StaleFenceError naming both fences", () => {
    const error = (() => {
      try {
        assertFenceNewer(f(9), f(10), "payment:1");
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isStaleFenceError(error)).toBe(true);
    expect(error).toMatchObject({ fence: f(9), lastFence: f(10), name: "StaleFenceError" });
    expect((error as Error).message).toMatch(/000000000000009 is older than 000000000000010/);
    expect((error as Error).message).toContain('"payment:1"');
  });

  it("compares by value across digit boundaries (9 < 10, 99 < 100)", () => {
    expect(() => assertFenceNewer(f(99), f(100))).toThrow(/older/);
    expect(() => assertFenceNewer(f(100), f(99))).not.toThrow();
  });

  it("rejects something that is not a fence with InvalidArgument, without echoing it", () => {
    for (const [fence, last] of [
      ["12", null],
      [f(1), "abc"],
      [7 as unknown as string, null],
    ] as const) {
      let error: unknown;
      try {
        assertFenceNewer(fence, last);
      } catch (e) {
        error = e;
      }
      expect(isLockError(error, "InvalidArgument")).toBe(true);
    }
  });
});
