import { createLock, forceRelease, LockError, type LockEvent, type Logger } from "@syncguard/core";
import { defineBackend } from "@syncguard/core/driver";
import { createMemoryBackend, createMemoryDriver } from "@syncguard/core/memory";
import { ATTR, METRICS, otelEvents } from "../src";
import { type HistogramPoint, inMemoryTelemetry, pointsOf } from "./setup";

const KEY = "customer:alice@example.com";
const silent: Logger = { warn: () => undefined, error: () => undefined };

describe("otelEvents", () => {
  let telemetry: ReturnType<typeof inMemoryTelemetry>;
  beforeEach(() => {
    telemetry = inMemoryTelemetry();
  });
  afterEach(() => telemetry.shutdown());

  it("records wait and hold histograms and counts timeouts, losses, failures and forced releases", async () => {
    const events: LockEvent[] = [];
    const record = otelEvents({ meter: telemetry.meter });
    const onEvent = (event: LockEvent) => {
      events.push(event);
      record(event);
    };
    const backend = createMemoryBackend({ logger: silent });
    const lock = createLock(backend, { onEvent });

    // Two clean holds.
    await lock(() => undefined, { key: KEY });
    await lock(() => undefined, { key: KEY });
    // A timeout behind a holder.
    const holder = await backend.acquire({ key: KEY, ttlMs: 10_000 });
    await expect(lock(() => undefined, { key: KEY, timeoutMs: 0 })).rejects.toMatchObject({
      code: "AcquisitionTimeout",
    });
    if (holder.ok) await backend.release({ lockId: holder.lockId });
    // A loss: the lock is forced away and the holder's extend finds it gone.
    await expect(
      lock(
        async (ctx) => {
          await forceRelease(backend, KEY, { onEvent });
          await ctx.extend();
        },
        { key: KEY },
      ),
    ).rejects.toMatchObject({ code: "LockLost" });
    // A release the backend refuses.
    const driver = createMemoryDriver();
    const failing = defineBackend({
      ...driver,
      capabilities: driver.capabilities,
      release: async () => {
        throw new LockError("ServiceUnavailable", "connection refused");
      },
    });
    await createLock(failing, { onEvent, onReleaseError: () => undefined })(() => 1, { key: KEY });

    const collected = await telemetry.collect();
    const wait = pointsOf(collected, METRICS.waitDuration) as HistogramPoint[];
    const waitOf = (outcome: string) => wait.find((p) => p.attributes[ATTR.outcome] === outcome);
    const acquired = events.filter((e) => e.type === "acquired");
    const failed = events.filter((e) => e.type === "failed");
    expect(acquired).toHaveLength(4);
    expect(waitOf("acquired")?.value.count).toBe(4);
    expect(waitOf("acquired")?.value.sum).toBe(acquired.reduce((sum, e) => sum + e.waitedMs, 0));
    expect(waitOf("timeout")?.value.count).toBe(1);
    expect(waitOf("timeout")?.value.sum).toBe(failed[0]?.waitedMs);

    const hold = pointsOf(collected, METRICS.holdDuration) as HistogramPoint[];
    const held = events.filter((e) => e.type === "released" || e.type === "release-failed");
    expect(hold).toHaveLength(1);
    expect(hold[0]?.value.count).toBe(held.length);
    expect(hold[0]?.value.sum).toBe(held.reduce((sum, e) => sum + e.heldMs, 0));

    expect(pointsOf(collected, METRICS.timeouts).map((p) => p.value)).toEqual([1]);
    expect(
      pointsOf(collected, METRICS.losses).map((p) => [p.attributes[ATTR.lostReason], p.value]),
    ).toEqual([["not-held", 1]]);
    expect(pointsOf(collected, METRICS.failures).map((p) => [p.attributes, p.value])).toEqual([
      [{ [ATTR.operation]: "release", [ATTR.errorCode]: "ServiceUnavailable" }, 1],
    ]);
    expect(pointsOf(collected, METRICS.forced).map((p) => [p.attributes, p.value])).toEqual([
      [{ [ATTR.released]: true }, 1],
    ]);
    // No key, raw or hashed, in any metric.
    expect(JSON.stringify(collected)).not.toContain("alice");
  });

  it("an abort or a skip is not counted as a failure or timeout; a backend error at acquire is", async () => {
    const record = otelEvents({ meter: telemetry.meter });
    const lock = createLock(createMemoryBackend(), { onEvent: record });
    await expect(lock(() => 1, { key: KEY, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: "Aborted",
    });
    const driver = createMemoryDriver();
    const refusing = defineBackend({
      ...driver,
      capabilities: driver.capabilities,
      acquire: async () => {
        throw new LockError("AuthFailed", "NOAUTH");
      },
    });
    await expect(
      createLock(refusing, { onEvent: record })(() => 1, { key: KEY }),
    ).rejects.toMatchObject({ code: "AuthFailed" });
    // lock.ifFree on a held key is a skip: recorded as a wait, never counted as a timeout.
    const backend = createMemoryBackend();
    await backend.acquire({ key: KEY, ttlMs: 10_000 });
    expect(await createLock(backend, { onEvent: record }).ifFree(() => 1, { key: KEY })).toEqual({
      ran: false,
    });
    const collected = await telemetry.collect();
    const wait = pointsOf(collected, METRICS.waitDuration) as HistogramPoint[];
    expect(wait.map((p) => [p.attributes[ATTR.outcome], p.value.count]).sort()).toEqual([
      ["aborted", 1],
      ["error", 1],
      ["skipped", 1],
    ]);
    expect(pointsOf(collected, METRICS.timeouts)).toEqual([]);
    expect(pointsOf(collected, METRICS.failures).map((p) => [p.attributes, p.value])).toEqual([
      [{ [ATTR.operation]: "acquire", [ATTR.errorCode]: "AuthFailed" }, 1],
    ]);
  });
});
