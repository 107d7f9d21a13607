import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The directory layout. Every file is replaced by write-to-temp + rename, so a reader sees either
 * the old or the new content, never half of it.
 *
 *   locks/<name>.json   the live (or expired, not yet replaced) lock record of one key
 *   fences/<name>       the key's fence counter: written on every acquire, NEVER deleted
 *   mutex/<name>        exists while one process runs a read-check-write on the key
 * <name> is the key's tag in hex (see file-backend.ts).
 */
export interface LockRecord {
  key: string;
  lockId: string;
  acquiredAtMs: number;
  expiresAtMs: number;
  fence: string;
}

export const SUBDIRS = ["locks", "fences", "mutex", "tmp"] as const;

export async function prepareDirectory(dir: string): Promise<void> {
  await Promise.all(SUBDIRS.map((sub) => mkdir(join(dir, sub), { recursive: true })));
}

export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function readRecord(path: string): Promise<LockRecord | undefined> {
  const text = await readText(path);
  return text === undefined ? undefined : (JSON.parse(text) as LockRecord);
}

/** Atomic replace: the temp file lives in the same directory tree, so rename cannot copy. */
export async function writeAtomic(dir: string, path: string, content: string): Promise<void> {
  const temp = join(dir, "tmp", `${process.pid}-${randomBytes(6).toString("hex")}`);
  await writeFile(temp, content);
  await rename(temp, path);
}

export async function removeIfPresent(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
