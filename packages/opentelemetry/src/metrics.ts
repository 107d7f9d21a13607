import { type Counter, type Histogram, type Meter, metrics } from "@opentelemetry/api";
import type { LockErrorCode, LockEvent, LockEventHandler } from "@syncguard/core";
import { ATTR } from "./attributes";
import { INSTRUMENTATION_NAME } from "./name";

/** Options of `otelEvents`. */
export interface OtelEventsOptions {
  /** Default: `metrics.getMeter("@syncguard/opentelemetry")`, looked up at the first event. */
  meter?: Meter;
}

/** Metric names, as exported. Durations are histograms in milliseconds. */
export const METRICS = Object.freeze({
  waitDuration: "syncguard.lock.wait.duration",
  holdDuration: "syncguard.lock.hold.duration",
  timeouts: "syncguard.lock.timeouts",
  losses: "syncguard.lock.losses",
  failures: "syncguard.lock.failures",
  forced: "syncguard.lock.forced",
});

interface Instruments {
  wait: Histogram;
  hold: Histogram;
  timeouts: Counter;
  losses: Counter;
  failures: Counter;
  forced: Counter;
}

function createInstruments(meter: Meter): Instruments {
  return {
    wait: meter.createHistogram(METRICS.waitDuration, {
      description: "Time from the first attempt until the lock was acquired or the wait ended",
      unit: "ms",
    }),
    hold: meter.createHistogram(METRICS.holdDuration, {
      description: "Time from acquiring a lock until its release answered or failed",
      unit: "ms",
    }),
    timeouts: meter.createCounter(METRICS.timeouts, {
      description: "Acquisitions that gave up with AcquisitionTimeout",
    }),
    losses: meter.createCounter(METRICS.losses, {
      description: "Locks lost while held (expired, deadline passed, taken over, maxHoldMs)",
    }),
    failures: meter.createCounter(METRICS.failures, {
      description: "Acquisitions and releases that failed with a backend error",
    }),
    forced: meter.createCounter(METRICS.forced, { description: "forceRelease calls" }),
  };
}

/** How an acquisition ended, from its error code. */
export function outcomeOf(code: LockErrorCode): "timeout" | "aborted" | "lost" | "error" {
  if (code === "AcquisitionTimeout") return "timeout";
  if (code === "Aborted") return "aborted";
  if (code === "LockLost") return "lost";
  return "error";
}

/**
 * An `onEvent` handler that records SyncGuard's metrics: wait and hold histograms, and counters
 * of timeouts, losses, failures and forced releases. No key is ever an attribute (cardinality, and
 * keys can name customers); attributes are outcome, error code and loss reason only.
 *
 * ```ts
 * const lock = createLock(backend, { onEvent: otelEvents({ meter }) });
 * ```
 */
export function otelEvents(options: OtelEventsOptions = {}): LockEventHandler {
  let instruments: Instruments | undefined;
  // The global MeterProvider has no proxy: look it up when the first event comes, not before.
  const get = () =>
    (instruments ??= createInstruments(options.meter ?? metrics.getMeter(INSTRUMENTATION_NAME)));
  return (event: LockEvent) => {
    const m = get();
    switch (event.type) {
      case "acquired":
        m.wait.record(event.waitedMs, { [ATTR.outcome]: "acquired" });
        break;
      case "failed": {
        const outcome = outcomeOf(event.code);
        m.wait.record(event.waitedMs, { [ATTR.outcome]: outcome });
        if (outcome === "timeout") m.timeouts.add(1);
        // An abort is the caller's decision, not a failure.
        else if (outcome !== "aborted") {
          m.failures.add(1, { [ATTR.operation]: "acquire", [ATTR.errorCode]: event.code });
        }
        break;
      }
      case "skipped":
        // lock.ifFree found the key held: the expected way to run once, not a timeout.
        m.wait.record(event.waitedMs, { [ATTR.outcome]: "skipped" });
        break;
      case "released":
        m.hold.record(event.heldMs);
        break;
      case "release-failed":
        m.hold.record(event.heldMs);
        m.failures.add(1, { [ATTR.operation]: "release", [ATTR.errorCode]: event.code });
        break;
      case "lost":
        m.losses.add(1, { [ATTR.lostReason]: event.reason });
        break;
      case "forced":
        m.forced.add(1, { [ATTR.released]: event.released });
        break;
    }
  };
}
