import type { OperationScope } from "./operation-scope";

/**
 * A plain (non-transactional) read within the operation's deadline and signal, its errors mapped.
 * A read writes nothing, so a failure before any commit is ServiceUnavailable (see OperationScope).
 */
export function runRead<T>(op: OperationScope, read: () => Promise<T>): Promise<T> {
  op.check();
  return op.race(read());
}
