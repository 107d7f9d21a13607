import type { DriverContext } from "./context";
import { notReadyError, toRedisLockError } from "./errors";
import { type LuaScript, runScript } from "./scripts";
import type { ScriptCall, ScriptClient } from "./types";

/**
 * The client to send on: refuses at once (ServiceUnavailable, nothing sent) when the client has
 * no connection, instead of letting the command wait in node-redis's offline queue for its
 * timeout; with a signal, a view whose queued commands the signal can take back.
 */
function sender(ctx: DriverContext, operation: string, signal?: AbortSignal): ScriptClient {
  const { client } = ctx;
  if (client.isReady === false) throw notReadyError(operation);
  return signal && client.withAbortSignal ? client.withAbortSignal(signal) : client;
}

/** One script call, its errors mapped to LockErrors (no async layer of its own: one per call). */
export function callScript(
  ctx: DriverContext,
  operation: string,
  script: LuaScript,
  call: ScriptCall,
  signal?: AbortSignal,
): Promise<unknown> {
  let client: ScriptClient;
  try {
    client = sender(ctx, operation, signal);
  } catch (error) {
    return Promise.reject(error);
  }
  return runScript(client, script, call).catch((error: unknown) => {
    throw toRedisLockError(error, operation);
  });
}

/** A plain GET of one key (lookups need no script), its errors mapped to LockErrors. */
export async function readKey(
  ctx: DriverContext,
  operation: string,
  key: string,
  signal?: AbortSignal,
): Promise<unknown> {
  const client = sender(ctx, operation, signal);
  try {
    return await client.get(key);
  } catch (error) {
    throw toRedisLockError(error, operation);
  }
}
