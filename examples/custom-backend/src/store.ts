import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { toStorageName } from "@syncguard/core";

/**
 * The directory layout. Every file is replaced by write-to-temp + rename, so a reader sees either
 * the old or the new content, never half of it.
 *
 *   locks/<name>.json   the live (or expired, not yet replaced) lock record of one key
 *   fences/<name>       the key's fence counter: written on every acquire, NEVER deleted
 *   ids/<hex lockId>    index from a lockId to its key's <name>, so release/extend find the lock
 *   mutex/<name>        exists while one process runs a read-check-write on the key
 */
export interface LockRecord {
  key: string;
  lockId: string;
  acquiredAtMs: number;
  expiresAtMs: number;
  fence: string;
}

export const SUBDIRS = ["locks", "fences", "ids", "mutex", "tmp"] as const;

export async function prepareDirectory(dir: string): Promise<void> {
  await Promise.all(SUBDIRS.map((sub) => mkdir(join(dir, sub), { recursive: true })));
}

/**
 * A file name for a key that is legal and distinct on every common file system: lowercase
 * letters, digits, ".", "_" and "-" stay readable; anything else (uppercase included, for
 * case-insensitive file systems) makes core add a SHA-256 digest of the whole key.
 */
export function fileNameOf(normalizedKey: string): string {
  return toStorageName(normalizedKey, {
    maxBytes: 200,
    mustEscape: (char) => !/^[a-z0-9._-]$/.test(char),
    isReserved: (name) => name === "." || name === "..",
  });
}

/** lockIds are base64url (case matters); hex keeps them distinct on any file system. */
export const idFileOf = (lockId: string): string =>
  Buffer.from(lockId, "base64url").toString("hex");

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
