/**
 * The module the conformance race loads in each child process (`options.worker.modulePath`).
 * Children cannot receive a backend object from the parent, so they build their own from the
 * environment the parent passes (`options.worker.env`).
 */
import type { LockBackend } from "@syncguard/core";
import { createFileBackend, type FileCapabilities } from "./file-backend";

export function createBackend(): LockBackend<FileCapabilities> {
  const dir = process.env.SYNCGUARD_FILE_DIR;
  if (!dir) throw new Error("SYNCGUARD_FILE_DIR is not set");
  return createFileBackend({ dir });
}

/** Called by the worker before it exits; a networked backend would close its client here. */
export async function close(): Promise<void> {}
