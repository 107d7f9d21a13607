import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import {
  type BackendCapabilities,
  type IfFreeResult,
  isLockError,
  type LockContext,
  type LockError,
  type LockFunction,
  type LockOptions,
} from "@syncguard/core";
import { ATTR, keyAttributes } from "./attributes";
import { outcomeOf } from "./metrics";
import { INSTRUMENTATION_NAME } from "./name";

/** Options of `instrumentLock`. */
export interface InstrumentLockOptions {
  /** Default: `trace.getTracer("@syncguard/opentelemetry")` from the global provider. */
  tracer?: Tracer;
  /** Name of the span made for each call. Default "syncguard.lock". */
  spanName?: string;
  /**
   * Put the normalized key on spans as `syncguard.key`. Default false: spans carry only
   * `syncguard.key.hash`, so no key (a customer id, an email) leaves the process.
   */
  recordRawKey?: boolean;
}

/** What one call learned, read when its span ends. */
interface CallState {
  acquiredAtMs?: number;
  context?: LockContext<BackendCapabilities>;
}

/**
 * Wraps a lock function so that every call, `lock.ifFree` included, makes one span (kind
 * INTERNAL, name "syncguard.lock") that covers the wait, the work and the release. fn runs with
 * that span active, so spans it starts are its children. Attributes: `syncguard.key.hash` (the
 * raw key only with `recordRawKey`), `syncguard.fence`, `syncguard.attempts`,
 * `syncguard.wait_ms`, `syncguard.hold_ms`, `syncguard.outcome` (acquired, skipped, timeout,
 * aborted, lost, error) and `syncguard.error.code`. The span's status is ERROR when the call
 * rejects; a SyncGuard error is recorded by its code only (its message may quote the key), any
 * other error of fn as an exception.
 */
export function instrumentLock<C extends BackendCapabilities>(
  lock: LockFunction<C>,
  options: InstrumentLockOptions = {},
): LockFunction<C> {
  const tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION_NAME);
  const spanName = options.spanName ?? "syncguard.lock";
  const recordRawKey = options.recordRawKey === true;

  /** Runs one call of `lock` or `lock.ifFree` under a span; `settle` reads its result. */
  async function traced<R>(
    lockOptions: LockOptions,
    call: (
      wrap: <T>(
        fn: (ctx: LockContext<C>) => T | Promise<T>,
      ) => (ctx: LockContext<C>) => T | Promise<T>,
    ) => Promise<R>,
    skipped?: (result: R) => boolean,
  ): Promise<R> {
    const startedAtMs = performance.now();
    const attributes: Attributes = keyAttributes(
      lockOptions !== null && typeof lockOptions === "object" ? lockOptions.key : undefined,
      recordRawKey,
    );
    const span = tracer.startSpan(spanName, { kind: SpanKind.INTERNAL, attributes });
    const state: CallState = {};
    const wrap =
      <T>(fn: (ctx: LockContext<C>) => T | Promise<T>) =>
      (ctx: LockContext<C>): T | Promise<T> => {
        state.acquiredAtMs = performance.now();
        state.context = ctx as unknown as LockContext<BackendCapabilities>;
        onAcquired(span, ctx as unknown as LockContext<BackendCapabilities>);
        return fn(ctx);
      };
    try {
      // The span is active for the whole call: fn's own spans nest under it.
      const result = await context.with(trace.setSpan(context.active(), span), () => call(wrap));
      if (skipped?.(result)) {
        span.setAttribute(ATTR.outcome, "skipped");
        span.setAttribute(ATTR.waitMs, Math.round(performance.now() - startedAtMs));
      } else {
        span.setAttribute(ATTR.outcome, "acquired");
      }
      return result;
    } catch (error) {
      onRejected(span, error, state, startedAtMs);
      throw error;
    } finally {
      if (state.acquiredAtMs !== undefined) {
        span.setAttribute(ATTR.holdMs, Math.round(performance.now() - state.acquiredAtMs));
      }
      span.end();
    }
  }

  const instrumented = <T>(
    fn: (ctx: LockContext<C>) => T | Promise<T>,
    lockOptions: LockOptions,
  ): Promise<T> =>
    traced(lockOptions, (wrap) => lock(typeof fn === "function" ? wrap(fn) : fn, lockOptions));

  const ifFree = <T>(
    fn: (ctx: LockContext<C>) => T | Promise<T>,
    lockOptions: LockOptions,
  ): Promise<IfFreeResult<T>> =>
    traced(
      lockOptions,
      (wrap) => lock.ifFree(typeof fn === "function" ? wrap(fn) : fn, lockOptions),
      (result) => !result.ran,
    );

  // Closing the instrumented function closes the one it wraps.
  const close = () => lock.close();
  return Object.assign(instrumented, {
    ifFree,
    close,
    [Symbol.asyncDispose]: close,
  }) as LockFunction<C>;
}

function onAcquired(span: Span, ctx: LockContext<BackendCapabilities>): void {
  span.setAttribute(ATTR.attempts, ctx.attempts);
  span.setAttribute(ATTR.waitMs, ctx.waitedMs);
  if (ctx.fence !== undefined) span.setAttribute(ATTR.fence, ctx.fence);
}

/** A rejected call: the acquisition failed, the lock was lost, or fn threw. */
function onRejected(span: Span, error: unknown, state: CallState, startedAtMs: number): void {
  const acquired = state.acquiredAtMs !== undefined;
  const lost =
    isLockError(error, "LockLost") ||
    (acquired && isLockError(signalReason(state.context), "LockLost"));
  if (!acquired) {
    // The acquisition itself failed: how long it waited, and how many attempts when known.
    const code = isLockError(error) ? error.code : "Internal";
    span.setAttribute(ATTR.outcome, outcomeOf(code));
    span.setAttribute(ATTR.waitMs, Math.round(performance.now() - startedAtMs));
    const attempts = isLockError(error) ? (error as LockError).details?.attempts : undefined;
    if (typeof attempts === "number") span.setAttribute(ATTR.attempts, attempts);
  } else {
    span.setAttribute(ATTR.outcome, lost ? "lost" : "acquired");
  }
  if (isLockError(error)) {
    span.setAttribute(ATTR.errorCode, error.code);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.code });
  } else {
    if (error instanceof Error) span.recordException(error);
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.name : "error",
    });
  }
  if (lost && !isLockError(error, "LockLost")) span.setAttribute(ATTR.errorCode, "LockLost");
}

/** The lock's signal reason once the call is over (set only if the lock was lost). */
function signalReason(ctx: LockContext<BackendCapabilities> | undefined): unknown {
  if (!ctx) return undefined;
  const signal = ctx.signal;
  return signal.aborted ? signal.reason : undefined;
}
