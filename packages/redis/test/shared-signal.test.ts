/**
 * One application signal (a shutdown signal) passed to many concurrent calls: node-redis adds a
 * listener per command to the signal it is handed, so from 11 commands at once Node warned of a
 * possible memory leak on the application's signal. Each command now gets a signal of its own,
 * linked to the caller's through one listener.
 */
import { createLock } from "@syncguard/core";
import { createRedisBackend } from "../src";
import { testClient } from "./helpers/clients";
import { redisUrl, uniqueKey } from "./helpers/services";

it("forty concurrent lock() calls sharing one signal keep one abort listener on it (node-redis 6)", async () => {
  const user = testClient("redis", redisUrl());
  await user.connect();
  const backend = createRedisBackend(user.client, { evictionPolicyCheck: "off" });
  const lock = createLock(backend);
  const shutdown = new AbortController();
  const { signal } = shutdown;
  let peak = 0;
  let live = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    if (args[0] === "abort") peak = Math.max(peak, ++live);
    return add(...args);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    if (args[0] === "abort") live--;
    return remove(...args);
  }) as typeof signal.removeEventListener;
  try {
    const key = uniqueKey("shared-signal");
    const calls = Array.from({ length: 40 }, (_, i) =>
      lock(() => "ran", { key: i % 2 === 0 ? `${key}-${i}` : key, signal, timeoutMs: 10_000 }),
    );
    expect(await Promise.all(calls)).toEqual(Array(40).fill("ran"));
    expect(peak).toBe(1);
  } finally {
    await lock.close();
    await backend.close();
    user.destroy();
  }
});
