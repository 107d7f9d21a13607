/**
 * The keys this process holds through `lock()` or `acquire()` handles, per backend. Used only to
 * explain a failure: locks are not re-entrant, so a `lock()` nested in work that holds the same
 * key waits for itself until it times out, and its AcquisitionTimeout says so. Keyed by the
 * backend's engine view (shared by every copy of core), one Map entry per held key.
 */
const heldByView = new WeakMap<object, Map<string, number>>();

/** Records that this process now holds `key`; call the returned function once when it ends. */
export function noteHeldHere(view: object, key: string): () => void {
  let held = heldByView.get(view);
  if (!held) {
    held = new Map();
    heldByView.set(view, held);
  }
  held.set(key, (held.get(key) ?? 0) + 1);
  const map = held;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    const count = (map.get(key) ?? 1) - 1;
    if (count > 0) map.set(key, count);
    else map.delete(key);
  };
}

/** True when a lock on `key` taken in this process has not been released yet. */
export function isHeldHere(view: object, key: string): boolean {
  return heldByView.get(view)?.has(key) === true;
}
