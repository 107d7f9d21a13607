// The race's child processes load this (compiled: dist/worker.js) and build their own backend.
import { createMyBackend } from "./index";

export function createBackend() {
  const dir = process.env.MY_LOCK_DIR;
  if (!dir) throw new Error("MY_LOCK_DIR is not set");
  return createMyBackend({ dir });
}

export async function close(): Promise<void> {}
