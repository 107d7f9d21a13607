import {
  createLock,
  type Election,
  elect,
  forceRelease,
  isLockError,
  type LockBackend,
  type TermInfo,
} from "../src";
import { createMemoryBackend } from "../src/memory";
import { eventually } from "./helpers";

const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

describe("elect(): one leader at a time", () => {
  it("elects one of several candidates; when it resigns another leads, with a newer fence", async () => {
    const backend = createMemoryBackend();
    let leading = 0;
    let most = 0;
    const terms: { name: string; fence: string }[] = [];
    const candidates = new Map<string, Election>();
    for (const name of ["a", "b", "c"]) {
      candidates.set(
        name,
        elect(backend, { key: "scheduler", ttlMs: 1_000 }, async ({ fence, signal }) => {
          leading++;
          most = Math.max(most, leading);
          terms.push({ name, fence });
          await untilAborted(signal);
          leading--;
        }),
      );
    }
    for (let round = 0; round < 3; round++) {
      await eventually(() => terms.length === round + 1);
      const current = terms[round]!;
      const election = candidates.get(current.name)!;
      const leader = await election.leader();
      expect(leader).toEqual({
        holderId: election.term?.holderId,
        fence: current.fence,
        sinceMs: expect.any(Number),
        expiresAtMs: expect.any(Number),
      });
      await election.resign();
      expect(election.term).toBeUndefined();
    }
    expect(most).toBe(1);
    expect(new Set(terms.map((term) => term.name)).size).toBe(3);
    expect(terms.map((term) => term.fence)).toEqual([...terms.map((term) => term.fence)].sort());
    expect(await candidates.get("a")!.leader()).toBeNull();
  });

  it("a lost term aborts its signal with LockLost, calls onLost, and campaigns again", async () => {
    const backend = createMemoryBackend();
    const elected: TermInfo[] = [];
    const lost: TermInfo[] = [];
    const reasons: unknown[] = [];
    const election = elect(
      backend,
      {
        key: "leader",
        ttlMs: 300,
        onElected: (term) => elected.push(term),
        onLost: (term) => lost.push(term),
      },
      async ({ signal }) => {
        await untilAborted(signal);
        reasons.push(signal.reason);
      },
    );
    await eventually(() => elected.length === 1);
    await forceRelease(backend, "leader");
    await eventually(() => elected.length === 2);
    expect(lost).toEqual([
      {
        key: "leader",
        holderId: elected[0]!.holderId,
        fence: elected[0]!.fence,
        error: expect.anything(),
      },
    ]);
    expect(isLockError(reasons[0], "LockLost")).toBe(true);
    expect(isLockError(lost[0]!.error, "LockLost")).toBe(true);
    expect(elected[1]!.fence! > elected[0]!.fence!).toBe(true);
    await election.resign();
  });

  it("a term whose deadline passed while the process was blocked reads as lost before any timer runs", async () => {
    const backend = createMemoryBackend();
    const seen: boolean[] = [];
    const election = elect(
      backend,
      { key: "blocked", ttlMs: 300, campaignAgain: false },
      async (term) => {
        // The event loop is blocked past the lease (a long GC pause, a frozen process): no timer
        // of the lease can run before the leader looks at its term again.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
        seen.push(term.signal.aborted);
      },
    );
    await election.done;
    expect(seen).toEqual([true]);
  });

  it("with campaignAgain: false the election ends at the first loss", async () => {
    const backend = createMemoryBackend({
      logger: { warn: () => undefined, error: () => undefined },
    });
    let terms = 0;
    const election = elect(
      backend,
      { key: "once", ttlMs: 300, campaignAgain: false },
      async ({ signal }) => {
        terms++;
        await untilAborted(signal);
      },
    );
    await eventually(() => terms === 1);
    await forceRelease(backend, "once");
    await election.done;
    expect(terms).toBe(1);
    expect(await backend.isLocked({ key: "once" })).toBe(false);
  });

  it("ends when lead returns (the key is released) and rejects done when lead throws", async () => {
    const backend = createMemoryBackend();
    await elect(backend, { key: "done" }, async () => "finished").done;
    expect(await backend.isLocked({ key: "done" })).toBe(false);
    const errors: string[] = [];
    const logger = { warn: () => undefined, error: (message: string) => errors.push(message) };
    const failing = elect(backend, { key: "fails", logger }, async () => {
      throw new Error("leader work failed");
    });
    await expect(failing.done).rejects.toThrow("leader work failed");
    expect(errors).toEqual(['[SyncGuard] election "fails" ended: Error: leader work failed']);
    expect(await backend.isLocked({ key: "fails" })).toBe(false);
  });

  it("campaigns through a lock function; its close() ends the campaign", async () => {
    const backend = createMemoryBackend();
    const holder = await backend.acquire({ key: "k", ttlMs: 10_000 });
    const lock = createLock(backend);
    let led = false;
    const election = elect(lock, { key: "k" }, () => {
      led = true;
    });
    await lock.close();
    await election.done;
    expect(led).toBe(false);
    expect(holder.ok).toBe(true);
  });
});

describe("elect(): through a lock function that is closed while it leads", () => {
  it("resigns: the term's signal aborts, the key is released and close() resolves", async () => {
    const backend = createMemoryBackend();
    const lock = createLock(backend);
    const reasons: unknown[] = [];
    const election = elect(lock, { key: "leading" }, async ({ signal }) => {
      await untilAborted(signal);
      reasons.push(signal.reason);
    });
    await eventually(() => election.term !== undefined);
    await lock.close();
    await election.done;
    expect(reasons).toEqual([expect.objectContaining({ code: "Aborted" })]);
    expect(await backend.isLocked({ key: "leading" })).toBe(false);
  });
});

describe("elect(): a term that is over before it starts", () => {
  it("is never led: an acquire answered slower than the TTL allows makes the campaign go on", async () => {
    const memory = createMemoryBackend();
    let slowAttempts = 1;
    // A store that answers the first attempt after the whole TTL: that lease is past its safe
    // deadline when it arrives.
    const backend: LockBackend = {
      ...memory,
      capabilities: memory.capabilities,
      acquire: async (options) => {
        if (slowAttempts-- > 0) await new Promise((resolve) => setTimeout(resolve, 300));
        return memory.acquire(options);
      },
      release: (options) => memory.release(options),
      extend: (options) => memory.extend(options),
      isLocked: (options) => memory.isLocked(options),
      lookup: (options) => memory.lookup(options),
    };
    const signals: boolean[] = [];
    const elected: TermInfo[] = [];
    const election = elect(
      backend,
      { key: "slow", ttlMs: 200, onElected: (term) => elected.push(term) },
      async ({ signal }) => {
        signals.push(signal.aborted);
      },
    );
    await election.done;
    expect(signals).toEqual([false]);
    expect(elected.map((term) => term.fence)).toEqual(["000000000000002"]);
  });
});

describe("elect(): ending a campaign", () => {
  it("the signal option and await using resign, ending the term and releasing the key", async () => {
    const backend = createMemoryBackend();
    const stop = new AbortController();
    let reason: unknown;
    const election = elect(backend, { key: "s", signal: stop.signal }, async ({ signal }) => {
      await untilAborted(signal);
      reason = signal.reason;
    });
    await eventually(() => election.term !== undefined);
    stop.abort();
    await election.done;
    expect(reason).toBe(stop.signal.reason); // the caller's own reason comes through
    expect(await backend.isLocked({ key: "s" })).toBe(false);
    {
      await using scoped = elect(backend, { key: "s" }, ({ signal }) => untilAborted(signal));
      await eventually(() => scoped.term !== undefined);
    }
    expect(await backend.isLocked({ key: "s" })).toBe(false);
  });
});

describe("elect(): bad input", () => {
  it("throws InvalidArgument at once, naming the closest option", () => {
    const backend = createMemoryBackend();
    const bad = (run: () => unknown, message: RegExp) => {
      try {
        run();
      } catch (error) {
        expect(isLockError(error, "InvalidArgument")).toBe(true);
        expect((error as Error).message).toMatch(message);
        return;
      }
      throw new Error("expected InvalidArgument");
    };
    bad(
      () => elect(backend, { key: "k", ttl: 5 } as unknown as { key: string }, () => 1),
      /Unknown option "ttl" in elect\(\) options; did you mean ttlMs\?/,
    );
    bad(() => elect(backend, { key: "" }, () => 1), /Key must not be empty/);
    bad(() => elect(backend, { key: "k", ttlMs: 0 }, () => 1), /ttlMs must be a positive integer/);
    bad(() => elect(backend, { key: "k" }, undefined as unknown as () => 1), /function to lead/);
    bad(
      () => elect({} as unknown as typeof backend, { key: "k" }, () => 1),
      /needs a backend or a lock function/,
    );
  });
});
