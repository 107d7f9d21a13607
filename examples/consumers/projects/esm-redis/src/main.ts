// An ESM TypeScript app that installed only `@syncguard/redis` and `redis`.
import { createLock, createRedisBackend, type RedisBackend } from "@syncguard/redis";
import { migrateFrom2x, type RedisMigrationReport } from "@syncguard/redis/migrate";
import { createClient } from "redis";

const url = process.env.REDIS_URL;
if (!url) throw new Error("REDIS_URL is not set");

const client = await createClient({ url }).connect();
const backend: RedisBackend = createRedisBackend(client, {
  keyPrefix: `consumer-esm-${process.pid}`,
});
const key = "consumer:esm-redis";
const check = (ok: boolean, what: string): void => {
  if (!ok) throw new Error(`round trip failed: ${what}`);
};

const first = await backend.acquire({ key, ttlMs: 10_000 });
if (!first.ok) throw new Error("first acquire failed");
const second = await backend.acquire({ key, ttlMs: 10_000 });
check(!second.ok && second.reason === "locked", "second acquire must see the lock");
check(await backend.isLocked({ key }), "isLocked while held");
check((await backend.extend({ lockId: first.lockId, ttlMs: 20_000 })).ok, "extend");
check((await backend.release({ lockId: first.lockId })).ok, "release");
check(!(await backend.isLocked({ key })), "free after release");

const lock = createLock(client, { keyPrefix: `consumer-esm-${process.pid}` });
const fence: string = await lock(async ({ fence }) => fence, { key, ttlMs: 5_000 });
check(fence > first.fence, "fence increases");

// The 2.x migration, from its own subpath: a dry run reads and writes nothing.
const report: RedisMigrationReport = await migrateFrom2x(client, {
  oldKeyPrefix: `consumer-esm-2x-${process.pid}`,
  dryRun: true,
});
check(report.dryRun && report.countersFound === 0, "migration dry run");

await backend.close();
client.destroy();
console.log(JSON.stringify({ ok: true, format: "esm", firstFence: first.fence, fence }));
