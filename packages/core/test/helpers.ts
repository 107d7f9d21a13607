import type { LockBackend } from "../src";

/** Counts calls per operation on a backend (a spy around a real backend, not a fake). */
export function counting<B extends LockBackend>(backend: B) {
  const calls = { acquire: 0, release: 0, extend: 0 };
  const wrapped: LockBackend = {
    capabilities: backend.capabilities,
    acquire: (o) => {
      calls.acquire++;
      return backend.acquire(o);
    },
    release: (o) => {
      calls.release++;
      return backend.release(o);
    },
    extend: (o) => {
      calls.extend++;
      return backend.extend(o);
    },
    isLocked: (o) => backend.isLocked(o),
    lookup: (o) => backend.lookup(o),
    ...(backend.subscribe ? { subscribe: backend.subscribe.bind(backend) } : {}),
  };
  return { backend: wrapped, calls };
}

/** Polls until `check` returns true or the deadline passes. */
export async function eventually(check: () => boolean | Promise<boolean>, deadlineMs = 5000) {
  const until = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met before deadline");
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const tick = () => new Promise((r) => setImmediate(r));
