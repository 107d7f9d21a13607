/**
 * One "abort" listener per signal, however many operations wait on it. An application often
 * passes one shutdown signal to every call: with a listener per pending call, eleven at once made
 * Node warn of a possible memory leak on the application's own signal. Here each signal gets a
 * single listener that calls the current subscribers, removed again with the last of them.
 */
interface Fanout {
  readonly listeners: Set<() => void>;
  readonly handler: () => void;
}

const fanouts = new WeakMap<AbortSignal, Fanout>();

/** Calls `listener` once when `signal` aborts; the returned function unsubscribes it. */
export function onAbort(signal: AbortSignal, listener: () => void): () => void {
  let fanout = fanouts.get(signal);
  if (!fanout) {
    const listeners = new Set<() => void>();
    const handler = () => {
      fanouts.delete(signal);
      for (const each of [...listeners]) each();
      listeners.clear();
    };
    fanout = { listeners, handler };
    fanouts.set(signal, fanout);
    signal.addEventListener("abort", handler, { once: true });
  }
  const { listeners, handler } = fanout;
  // A wrapper per call: the same function subscribed twice is two subscriptions.
  const entry = () => listener();
  listeners.add(entry);
  return () => {
    if (!listeners.delete(entry) || listeners.size > 0) return;
    if (fanouts.get(signal) === fanout) fanouts.delete(signal);
    signal.removeEventListener("abort", handler);
  };
}

/**
 * A signal of its own for one call, aborted with `parent` (through the parent's one listener):
 * for a client library that adds a listener per command to the signal it is given. `done()`
 * unlinks it once the call settled.
 */
export function linkedSignal(parent: AbortSignal): { signal: AbortSignal; done(): void } {
  const child = new AbortController();
  if (parent.aborted) {
    child.abort(parent.reason);
    return { signal: child.signal, done: () => undefined };
  }
  const done = onAbort(parent, () => child.abort(parent.reason));
  return { signal: child.signal, done };
}
