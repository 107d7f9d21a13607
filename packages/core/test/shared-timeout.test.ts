import { isLockError } from "../src/errors";
import { withTimeout } from "../src/shared-timeout";

describe("withTimeout (one shared timer)", () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const never = () => new Promise<never>(() => undefined);
  const settled = async <T>(promise: Promise<T>) => {
    let state: "pending" | "resolved" | "rejected" = "pending";
    let reason: unknown;
    promise.then(
      () => {
        state = "resolved";
      },
      (error: unknown) => {
        state = "rejected";
        reason = error;
      },
    );
    await jest.advanceTimersByTimeAsync(0);
    return { state: () => state, reason: () => reason };
  };

  it("passes results and errors through and leaves no timer behind once all settle", async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, "Op")).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error("boom")), 1_000, "Op")).rejects.toThrow(
      "boom",
    );
    // The armed timer finds nothing due and does not re-arm.
    await jest.advanceTimersByTimeAsync(1_000);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("rejects each hanging call at its own deadline with NetworkTimeout", async () => {
    const first = await settled(withTimeout(never(), 1_000, "First"));
    await jest.advanceTimersByTimeAsync(400);
    const second = await settled(withTimeout(never(), 1_000, "Second"));
    const quick = await settled(withTimeout(Promise.resolve("ok"), 1_000, "Quick"));
    expect(quick.state()).toBe("resolved");
    // One timer serves all of them.
    expect(jest.getTimerCount()).toBe(1);
    await jest.advanceTimersByTimeAsync(599);
    expect(first.state()).toBe("pending");
    await jest.advanceTimersByTimeAsync(1);
    expect(first.state()).toBe("rejected");
    expect(isLockError(first.reason(), "NetworkTimeout")).toBe(true);
    expect(String((first.reason() as Error).message)).toMatch(
      /First did not complete within 1000 ms/,
    );
    expect(second.state()).toBe("pending");
    await jest.advanceTimersByTimeAsync(400);
    expect(second.state()).toBe("rejected");
    expect(jest.getTimerCount()).toBe(0);
  });

  it("a shorter timeout added after a longer one still fires on time", async () => {
    const long = await settled(withTimeout(never(), 5_000, "Long"));
    const short = await settled(withTimeout(never(), 100, "Short"));
    await jest.advanceTimersByTimeAsync(100);
    expect(short.state()).toBe("rejected");
    expect(long.state()).toBe("pending");
    await jest.advanceTimersByTimeAsync(4_900);
    expect(long.state()).toBe("rejected");
  });
});
