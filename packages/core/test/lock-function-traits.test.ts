/**
 * lockFunctionTraits: what an integration on a lock function (@syncguard/schedule) reads from it,
 * its logger and its closing signal.
 */
import { lockFunctionTraits } from "../src/for-drivers";
import { createLock } from "../src/lock";
import { createMemoryBackend } from "../src/memory";

const logger = (label: string) => ({ label, warn() {}, error() {} });

it("gives the lock function's own logger, else its backend's, and a signal that aborts at close()", async () => {
  const backendLogger = logger("backend");
  const ownLogger = logger("own");
  const onBackend = createLock(createMemoryBackend({ logger: backendLogger }));
  const own = createLock(createMemoryBackend({ logger: backendLogger }), { logger: ownLogger });
  const plain = createLock(createMemoryBackend());

  expect(lockFunctionTraits(onBackend)?.logger).toBe(backendLogger);
  expect(lockFunctionTraits(own)?.logger).toBe(ownLogger);
  expect(lockFunctionTraits(plain)?.logger).toBeUndefined();

  const closing = lockFunctionTraits(onBackend)!.closing;
  expect(closing.aborted).toBe(false);
  await onBackend.close();
  expect(closing.aborted).toBe(true);
  await own.close();
  await plain.close();
});

it("is undefined for a function this copy of core did not make", () => {
  const foreign = Object.assign(async () => {}, { ifFree: async () => ({ ran: false }) });
  expect(lockFunctionTraits(foreign)).toBeUndefined();
});
