import { createHash, randomBytes } from "node:crypto";

/**
 * syncguard 2.x's Redis storage, restated from its documented rules (not its code), to seed data
 * exactly as 2.x left it: names `prefix:rest` within a 1000-byte budget (26 reserved), hashed to
 * `prefix:` + base64url(first 16 bytes of SHA-256(readable name)) beyond it; the fence counter of
 * a key is the storage name of `fence:` + its lock name, an integer written by INCR; a lock is a
 * JSON record at its lock name plus an index `prefix:id:lockId` holding the lock name, both PX ttl.
 */
export function storageName2x(prefix: string, key: string, budget = 1_000, reserve = 26): string {
  const p = prefix.replace(/:+$/, "");
  const readable = p ? `${p}:${key.normalize("NFC")}` : key.normalize("NFC");
  if (Buffer.byteLength(readable) + reserve <= budget) return readable;
  const hash = createHash("sha256").update(readable).digest().subarray(0, 16).toString("base64url");
  return p ? `${p}:${hash}` : hash;
}

export const lockName2x = (prefix: string, key: string) => storageName2x(prefix, key);
export const fenceName2x = (prefix: string, key: string) =>
  storageName2x(prefix, `fence:${lockName2x(prefix, key)}`);
const indexName2x = (prefix: string, lockId: string) => storageName2x(prefix, `id:${lockId}`);

/** The commands seeding needs (node-redis single client or cluster, routed by key). */
export interface SeedClient {
  incrBy(key: string, increment: number): Promise<unknown>;
  set(key: string, value: string, options?: { PX: number }): Promise<unknown>;
}

/** A counter that has issued `lastFence` fences, as 2.x's INCR left it. */
export async function seedCounter2x(
  client: SeedClient,
  prefix: string,
  key: string,
  lastFence: number,
): Promise<string> {
  const name = fenceName2x(prefix, key);
  await client.incrBy(name, lastFence);
  return name;
}

/** A live 2.x lock on `key` holding `fence` (its counter is seeded separately). */
export async function seedLock2x(
  client: SeedClient,
  prefix: string,
  key: string,
  fence: number,
  ttlMs = 60_000,
): Promise<{ lockName: string; indexName: string; record: string }> {
  const lockId = randomBytes(16).toString("base64url");
  const lockName = lockName2x(prefix, key);
  const indexName = indexName2x(prefix, lockId);
  const now = Date.now();
  const record = JSON.stringify({
    lockId,
    expiresAtMs: now + ttlMs,
    acquiredAtMs: now,
    key: key.normalize("NFC"),
    fence: String(fence).padStart(15, "0"),
  });
  await client.set(lockName, record, { PX: ttlMs });
  await client.set(indexName, lockName, { PX: ttlMs });
  return { lockName, indexName, record };
}
