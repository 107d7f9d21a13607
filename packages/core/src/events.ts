/**
 * Observability hooks. Every event is a plain object, emitted synchronously; a throwing handler
 * is ignored so metrics code can never break locking. Attach OpenTelemetry or a metrics client in
 * a few lines (see the README).
 */
export type LockEvent =
  | { type: "acquired"; key: string; fence?: string; attempts: number; waitedMs: number }
  | { type: "contended"; key: string; attempt: number; holderRemainingMs?: number }
  | { type: "released"; key: string; ok: boolean; heldMs: number }
  | { type: "extended"; key: string; ok: boolean; expiresAtMs?: number }
  | { type: "lost"; key: string; reason: "expired" | "deadline" | "not-held" | "max-hold" };

export type LockEventHandler = (event: LockEvent) => void;

export function emit(handler: LockEventHandler | undefined, event: LockEvent): void {
  if (!handler) return;
  try {
    handler(event);
  } catch {
    // Observers must not change the outcome of a lock operation.
  }
}
