/** Bad input is refused with InvalidArgument when the job is set up, before any I/O. */
import { createLock, type LockFunction } from "@syncguard/core";
import { createMemoryBackend } from "@syncguard/core/memory";
import { checkRunOnceOptions, createRunCoordinator, type RunOnceOptions, runOnce } from "../src";

const lock = createLock(createMemoryBackend());
afterAll(() => lock.close());

const job = () => {};
const refused = (options: unknown, message: RegExp | string) => {
  let error: unknown;
  try {
    runOnce(lock, options as RunOnceOptions, job);
  } catch (caught) {
    error = caught;
  }
  expect(error).toMatchObject({ name: "LockError", code: "InvalidArgument" });
  expect((error as Error).message).toMatch(message);
};

const cases: [unknown, RegExp][] = [
  [{ ttlMs: 1000 }, /name must be a non-empty string/],
  [{ name: "", ttlMs: 1000 }, /name must be a non-empty string/],
  [{ name: "job" }, /ttlMs must be a positive integer/],
  [{ name: "job", ttlMs: 0 }, /ttlMs must be a positive integer/],
  [{ name: "job", ttlMs: 1000, overlap: "wait" }, /overlap must be "skip" or "queue"/],
  [{ name: "job", ttlMs: 1000, maxWaitMs: 5000 }, /maxWaitMs only applies with overlap: "queue"/],
  [
    { name: "job", ttlMs: 1000, overlap: "queue", maxWaitMs: -1 },
    /maxWaitMs must be a positive integer/,
  ],
  [{ name: "job", ttlMs: 1000, lateAfterMs: 0 }, /lateAfterMs must be a positive integer/],
  [{ name: "job", ttlMs: 1000, lateAfterMs: "2000" }, /lateAfterMs must be a positive integer/],
  [{ name: "job", ttlMs: 5000, maxHoldMs: 1000 }, /maxHoldMs \(1000\) must be at least ttlMs/],
  [
    { name: "job", ttlMs: 5000, maxHoldMs: 1.5 },
    /maxHoldMs must be Infinity or a positive integer/,
  ],
  [{ name: "job", ttlMs: 1000, onEvent: "log" }, /onEvent must be a function/],
  [{ name: "x".repeat(5000), ttlMs: 1000 }, /Key is too long|bytes/],
  [
    { name: "job", ttlMs: 1000, lateAfter: 2000 },
    /Unknown option "lateAfter".*did you mean lateAfterMs/,
  ],
  [{ name: "job", ttlMs: 1000, key: "job" }, /Unknown option "key".*made from name and each slot/],
  [{ name: "job", ttlMs: 1000, timeoutMs: 100 }, /Unknown option "timeoutMs".*maxWaitMs/],
  [{ name: "job", ttlMs: 1000, protect: true }, /Unknown option "protect".*never overlap/],
  [null, /must be an object/],
];
it.each(
  cases.map(([options, message]) => [JSON.stringify(options).slice(0, 70), options, message]),
)("runOnce(lock, %s) is refused", (_, options, message) => {
  refused(options, message as RegExp);
});

it("runOnce() refuses a missing lock function or job", () => {
  expect(() => runOnce({} as LockFunction, { name: "job", ttlMs: 1000 }, job)).toThrow(
    expect.objectContaining({
      code: "InvalidArgument",
      message: expect.stringContaining("lock function"),
    }),
  );
  expect(() =>
    runOnce(lock, { name: "job", ttlMs: 1000 }, undefined as unknown as () => void),
  ).toThrow(
    expect.objectContaining({ code: "InvalidArgument", message: expect.stringContaining("job") }),
  );
});

it("createRunCoordinator() points name and ttlMs to node-cron's own options", () => {
  expect(() => createRunCoordinator(lock, { name: "job" } as never)).toThrow(
    expect.objectContaining({
      code: "InvalidArgument",
      message: expect.stringContaining("cron.schedule"),
    }),
  );
  expect(() => createRunCoordinator(lock, { ttlMs: 1000 } as never)).toThrow(
    expect.objectContaining({
      code: "InvalidArgument",
      message: expect.stringContaining("distributedLease"),
    }),
  );
  expect(() => createRunCoordinator(lock, { overlap: "queue", maxWaitMs: 10_000 })).not.toThrow();
});

it("a store package's lock function type-checks as runOnce's lock (LockFunction of its capabilities)", () => {
  // Compile-time: @syncguard/redis's createLock returns LockFunction<RedisCapabilities>.
  type RedisLock = ReturnType<typeof import("@syncguard/redis").createLock>;
  const accepts = (l: RedisLock) => runOnce(l, { name: "job", ttlMs: 1000 }, job);
  expect(typeof accepts).toBe("function");
});

it("checkRunOnceOptions() refuses what runOnce() refuses, under the caller's label, without a lock", () => {
  expect(() => checkRunOnceOptions({ name: "job", ttlMs: 1000 })).not.toThrow();
  expect(() =>
    checkRunOnceOptions(
      { name: "job", ttlMs: 1000, overlap: "wait" } as never,
      "@RunOnce() on Jobs.sweep",
    ),
  ).toThrow(
    expect.objectContaining({
      code: "InvalidArgument",
      message: expect.stringMatching(/^@RunOnce\(\) on Jobs\.sweep.*overlap/),
    }),
  );
  expect(() => checkRunOnceOptions({ name: "job", ttlMs: 1000, lateAfter: 5 } as never)).toThrow(
    expect.objectContaining({
      code: "InvalidArgument",
      message: expect.stringContaining("lateAfterMs"),
    }),
  );
});
