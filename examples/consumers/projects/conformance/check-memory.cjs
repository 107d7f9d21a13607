// require() of core and its ./memory subpath: one round trip, and one LockError class for both.
const { LockError, createLock } = require("@syncguard/core");
const { createMemoryBackend } = require("@syncguard/core/memory");

async function main() {
  const backend = createMemoryBackend();
  const fence = await createLock(backend)(async ({ fence }) => fence, { key: "k", ttlMs: 1000 });
  const error = await backend.acquire({ key: "", ttlMs: 1000 }).catch((e) => e);
  if (!(error instanceof LockError))
    throw new Error("memory backend's error is not core's LockError");
  console.log(JSON.stringify({ ok: true, format: "cjs", fence, code: error.code }));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
