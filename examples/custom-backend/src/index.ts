import {
  createLock as createCoreLock,
  type LockDefaults,
  type LockFunction,
} from "@syncguard/core";
import { createFileBackend, type FileCapabilities } from "./file-backend";

export {
  createFileBackend,
  createFileDriver,
  type FileBackendOptions,
  type FileCapabilities,
} from "./file-backend";
export { prepareDirectory } from "./store";

/** `createLock(dir)`: the same shape the shipped backends export. */
export function createLock(dir: string, defaults?: LockDefaults): LockFunction<FileCapabilities> {
  return createCoreLock(createFileBackend({ dir }), defaults);
}
