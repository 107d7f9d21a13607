/**
 * A signal that aborts when either input does, with the first one's reason; `dispose()` detaches
 * it (the inputs outlive the job, so listeners must not pile up on them). `AbortSignal.any` is
 * missing before Node 20.3.
 */
export function eitherSignal(
  a: AbortSignal,
  b: AbortSignal,
): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onA = () => controller.abort(a.reason);
  const onB = () => controller.abort(b.reason);
  const dispose = () => {
    a.removeEventListener("abort", onA);
    b.removeEventListener("abort", onB);
  };
  if (a.aborted) onA();
  else if (b.aborted) onB();
  else {
    a.addEventListener("abort", onA, { once: true });
    b.addEventListener("abort", onB, { once: true });
  }
  return { signal: controller.signal, dispose };
}
