import { throwIfAborted } from "@syncguard/core";
import type { FirestoreConfig } from "./config";
import { Deadline } from "./deadline";
import { toFirestoreLockError } from "./errors";

/** Runs a plain (non-transactional) read under the operation deadline, mapping its errors. */
export async function runRead<T>(
  config: FirestoreConfig,
  operation: string,
  signal: AbortSignal | undefined,
  read: () => Promise<T>,
): Promise<T> {
  throwIfAborted(signal, operation);
  const deadline = new Deadline(config.operationTimeoutMs, operation);
  try {
    const value = await deadline.race(read(), signal);
    throwIfAborted(signal, operation);
    return value;
  } catch (error) {
    throw toFirestoreLockError(error, operation, config.collection);
  }
}
