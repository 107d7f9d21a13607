// import of core and its ./memory subpath: one round trip, and one LockError class for both.
import { createLock, LockError } from "@syncguard/core";
import { createMemoryBackend } from "@syncguard/core/memory";

const backend = createMemoryBackend();
const fence = await createLock(backend)(async ({ fence }) => fence, { key: "k", ttlMs: 1000 });
const error = await backend.acquire({ key: "", ttlMs: 1000 }).catch((e) => e);
if (!(error instanceof LockError))
  throw new Error("memory backend's error is not core's LockError");
console.log(JSON.stringify({ ok: true, format: "esm", fence, code: error.code }));
