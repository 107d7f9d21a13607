import { open, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { LockError } from "@syncguard/core";

/** Longest wait for another process's read-check-write on the same key (they take ~1 ms). */
const MUTEX_WAIT_MS = 5_000;
/** A mutex file older than this whose owner is gone was left by a crash and may be broken. */
const MUTEX_STALE_MS = 2_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Removes a mutex whose owner died while holding it (rename first: only one breaker wins). */
async function breakIfStale(dir: string, path: string): Promise<void> {
  let content: string;
  try {
    content = await readFile(path, "utf8");
  } catch {
    return; // already gone
  }
  const [pid, since] = content.split(" ").map(Number);
  if (pid === undefined || since === undefined || Number.isNaN(since)) return;
  if (Date.now() - since < MUTEX_STALE_MS || !processIsGone(pid)) return;
  const tomb = join(dir, "tmp", `stale-${process.pid}-${Date.now()}`);
  try {
    await rename(path, tomb);
    await unlink(tomb);
  } catch {
    // Someone else broke it first.
  }
}

/**
 * Runs `critical` while holding the per-key mutex file. `open(path, "wx")` fails if the file
 * exists, so exactly one process (or async task) at a time gets past it: that makes each
 * read-check-write on a key atomic across processes, which the lock contract requires.
 */
export async function withKeyMutex<T>(
  dir: string,
  name: string,
  critical: () => Promise<T>,
): Promise<T> {
  const path = join(dir, "mutex", name);
  const deadline = Date.now() + MUTEX_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(`${process.pid} ${Date.now()}`);
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (Date.now() > deadline) {
      throw new LockError("ServiceUnavailable", `key mutex ${name} busy for ${MUTEX_WAIT_MS} ms`);
    }
    if (attempt % 50 === 49) await breakIfStale(dir, path);
    await sleep(1 + Math.random() * Math.min(10, attempt)); // short, jittered: holders take ~1 ms
  }
  try {
    return await critical();
  } finally {
    await unlink(path);
  }
}
