import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { createLock, forceRelease, type Logger } from "@syncguard/core";
import { keyDigest } from "@syncguard/core/driver";
import { createMemoryBackend } from "@syncguard/core/memory";
import { ATTR, instrumentLock } from "../src";
import { inMemoryTelemetry } from "./setup";

const KEY = "customer:alice@example.com";
const silent: Logger = { warn: () => undefined, error: () => undefined };

describe("instrumentLock", () => {
  let telemetry: ReturnType<typeof inMemoryTelemetry>;
  beforeEach(() => {
    telemetry = inMemoryTelemetry();
  });
  afterEach(() => telemetry.shutdown());

  const onlySpan = () => {
    const spans = telemetry.spans().filter((s) => s.name === "syncguard.lock");
    expect(spans).toHaveLength(1);
    return spans[0]!;
  };

  /** Everything a span exports, as one string: nothing in it may quote the key. */
  const exported = () =>
    JSON.stringify(
      telemetry.spans().map((s) => ({
        name: s.name,
        attributes: s.attributes,
        events: s.events,
        status: s.status,
        links: s.links,
      })),
    );

  it("makes one span per call with key hash, fence, attempts, wait, hold and outcome", async () => {
    const lock = instrumentLock(createLock(createMemoryBackend()), { tracer: telemetry.tracer });
    let fence: string | undefined;
    const value = await lock(
      (ctx) => {
        fence = ctx.fence;
        return "done";
      },
      { key: KEY },
    );
    expect(value).toBe("done");
    const span = onlySpan();
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      [ATTR.keyHash]: keyDigest(KEY, 16),
      [ATTR.fence]: fence,
      [ATTR.attempts]: 1,
      [ATTR.waitMs]: expect.any(Number),
      [ATTR.holdMs]: expect.any(Number),
      [ATTR.outcome]: "acquired",
    });
    expect(exported()).not.toContain("alice");
  });

  it("runs fn with the lock's span active: spans fn starts are its children", async () => {
    const lock = instrumentLock(createLock(createMemoryBackend()), { tracer: telemetry.tracer });
    await lock(
      async () => {
        await new Promise((resolve) => setImmediate(resolve));
        telemetry.tracer.startSpan("charge").end();
        expect(trace.getActiveSpan()).toBeDefined();
      },
      { key: KEY },
    );
    const parent = onlySpan();
    const child = telemetry.spans().find((s) => s.name === "charge");
    expect(child?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it("a timeout: outcome timeout, error code, attempts and ERROR status, without the message", async () => {
    const backend = createMemoryBackend();
    await backend.acquire({ key: KEY, ttlMs: 10_000 });
    const lock = instrumentLock(createLock(backend), { tracer: telemetry.tracer });
    await expect(lock(() => "ran", { key: KEY, timeoutMs: 0 })).rejects.toMatchObject({
      code: "AcquisitionTimeout",
    });
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      [ATTR.outcome]: "timeout",
      [ATTR.errorCode]: "AcquisitionTimeout",
      [ATTR.attempts]: 1,
      [ATTR.waitMs]: expect.any(Number),
    });
    expect(span.attributes[ATTR.holdMs]).toBeUndefined();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "AcquisitionTimeout" });
    expect(exported()).not.toContain("alice");
  });

  it("an aborted wait: outcome aborted", async () => {
    const lock = instrumentLock(createLock(createMemoryBackend()), { tracer: telemetry.tracer });
    await expect(
      lock(() => "ran", { key: KEY, signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: "Aborted" });
    expect(onlySpan().attributes[ATTR.outcome]).toBe("aborted");
  });

  it("a lock lost while fn ran: outcome lost", async () => {
    const backend = createMemoryBackend({ logger: silent });
    const lock = instrumentLock(createLock(backend), { tracer: telemetry.tracer });
    await expect(
      lock(
        async (ctx) => {
          await forceRelease(backend, KEY);
          expect(await ctx.extend()).toEqual({ ok: false });
          return "finished unprotected";
        },
        { key: KEY },
      ),
    ).rejects.toMatchObject({ code: "LockLost" });
    const span = onlySpan();
    expect(span.attributes).toMatchObject({
      [ATTR.outcome]: "lost",
      [ATTR.errorCode]: "LockLost",
      [ATTR.holdMs]: expect.any(Number),
    });
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });

  it("fn's own error: outcome acquired, ERROR status, the exception recorded", async () => {
    const lock = instrumentLock(createLock(createMemoryBackend()), { tracer: telemetry.tracer });
    await expect(
      lock(
        () => {
          throw new TypeError("card declined");
        },
        { key: KEY },
      ),
    ).rejects.toThrow("card declined");
    const span = onlySpan();
    expect(span.attributes[ATTR.outcome]).toBe("acquired");
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: "TypeError" });
    expect(span.events.map((e) => e.name)).toEqual(["exception"]);
  });

  it("lock.ifFree: outcome skipped when the key is held, acquired when it ran", async () => {
    const backend = createMemoryBackend();
    const lock = instrumentLock(createLock(backend), { tracer: telemetry.tracer });
    expect(await lock.ifFree(() => 1, { key: KEY })).toEqual({ ran: true, value: 1 });
    await backend.acquire({ key: KEY, ttlMs: 10_000 });
    expect(await lock.ifFree(() => 2, { key: KEY })).toEqual({ ran: false });
    const outcomes = telemetry.spans().map((s) => s.attributes[ATTR.outcome]);
    expect(outcomes).toEqual(["acquired", "skipped"]);
    expect(telemetry.spans()[1]?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("records the raw (normalized) key only with recordRawKey: true", async () => {
    const lock = instrumentLock(createLock(createMemoryBackend()), {
      tracer: telemetry.tracer,
      recordRawKey: true,
    });
    await lock(() => undefined, { key: "cafe\u0301" });
    expect(onlySpan().attributes[ATTR.key]).toBe("caf\u00e9");
  });

  it("keeps the lock function's behaviour: bad input still rejects before any span attribute", async () => {
    const lock = instrumentLock(createLock(createMemoryBackend()), { tracer: telemetry.tracer });
    await expect(lock(() => 1, { key: "" })).rejects.toMatchObject({ code: "InvalidArgument" });
    const span = onlySpan();
    expect(span.attributes[ATTR.keyHash]).toBeUndefined();
    expect(span.attributes[ATTR.outcome]).toBe("error");
  });
});
