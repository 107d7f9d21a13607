import { listEveryLock } from "@syncguard/conformance";
import { type LockBackend, listLocks, readFence } from "@syncguard/core";
import { createRedisBackend } from "../src";
import type { RedisClientLike } from "../src/types";
import { CLIENT_LABELS, type ClientLibrary, connectWith } from "./helpers/clients";

/** Every key a listing returns, page by page (limit 2). */
async function listAll(backend: LockBackend, prefix: string): Promise<string[]> {
  const locks = await listEveryLock(backend, { prefix, limit: 2 });
  for (const lock of locks) expect(lock.fence).toMatch(/^\d{15}$/); // a fencing backend lists fences
  return locks.map((lock) => lock.key);
}

const CASES: [string, ClientLibrary, "single" | "cluster"][] = [
  [`${CLIENT_LABELS.redis} single`, "redis", "single"],
  [`${CLIENT_LABELS.redis} cluster`, "redis", "cluster"],
  [`${CLIENT_LABELS.ioredis} single`, "ioredis", "single"],
  [`${CLIENT_LABELS.ioredis} cluster`, "ioredis", "cluster"],
];

describe.each(CASES)("listLocks and readFence on %s", (_name, library, mode) => {
  let client: RedisClientLike;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ client, close } = await connectWith(library, mode));
  });
  afterAll(() => close());

  it("pages over the live locks under a key prefix once each, released ones and other prefixes absent", async () => {
    const keyPrefix = `inv-${library}-${mode}-${process.hrtime.bigint()}`;
    const backend = createRedisBackend(client, { keyPrefix, evictionPolicyCheck: "off" });
    const wanted = Array.from({ length: 7 }, (_, i) => `job:${i}`);
    const held = await Promise.all(
      [...wanted, "job:gone", "other:1"].map((key) => backend.acquire({ key, ttlMs: 30_000 })),
    );
    const gone = held[7];
    if (!gone?.ok) throw new Error("acquire failed");
    await backend.release({ lockId: gone.lockId });
    expect((await listAll(backend, "job:")).sort()).toEqual(wanted);
    expect((await listAll(backend, "")).length).toBe(8);
    // Another key prefix (namespace) sees none of them.
    const elsewhere = createRedisBackend(client, {
      keyPrefix: `${keyPrefix}x`,
      evictionPolicyCheck: "off",
    });
    expect(await listAll(elsewhere, "")).toEqual([]);
    await expect(listLocks(backend, { cursor: "bm9wZQ" })).rejects.toMatchObject({
      code: "InvalidArgument",
    });
    for (const result of held) if (result.ok) await backend.release({ lockId: result.lockId });
    await backend.close();
  });

  it("reads a key's fence counter without moving it", async () => {
    const keyPrefix = `fence-${library}-${mode}-${process.hrtime.bigint()}`;
    const backend = createRedisBackend(client, { keyPrefix, evictionPolicyCheck: "off" });
    expect(await readFence(backend, "k")).toEqual({ fence: null, shared: true });
    const first = await backend.acquire({ key: "k", ttlMs: 30_000 });
    if (!first.ok) throw new Error("acquire failed");
    await backend.release({ lockId: first.lockId });
    expect(await readFence(backend, "k")).toEqual({ fence: first.fence, shared: true });
    const second = await backend.acquire({ key: "k", ttlMs: 30_000 });
    if (!second.ok) throw new Error("acquire failed");
    expect(BigInt(second.fence)).toBe(BigInt(first.fence) + 1n);
    await backend.release({ lockId: second.lockId });
    await backend.close();
  });
});
