import { LockError } from "@syncguard/core";
import { abortError, linkedSignal, monotonicClock, raceDeadline } from "@syncguard/core/driver";
import type { Sender, Settled } from "./clients/adapter";
import type { DriverContext } from "./context";
import {
  connectionRefusal,
  firstConnectionTimeoutError,
  noReplyError,
  notConnectedError,
  toRedisLockError,
} from "./errors";
import { type LuaScript, runScript, runScriptThen } from "./scripts";
import type { ScriptCall } from "./types";

/**
 * One operation's command on the client, bounded by `operationTimeoutMs` (a NOSCRIPT retry
 * included) on core's shared timer. What a failure means depends on where the command got to:
 * - never handed to the client (the client is down, or its first connection did not come in
 *   time): ServiceUnavailable, or AuthFailed / InvalidArgument when the client's last error says
 *   it cannot connect at all; nothing runs later;
 * - handed to a connected client and no reply by the deadline: NetworkTimeout, it may have run
 *   (node-redis and ioredis write a command to the socket at once when they are ready).
 * The caller's signal is core's to race (it releases an acquire abandoned that way); node-redis
 * also gets it, to take back a command it has not written yet.
 */
function send<T>(
  ctx: DriverContext,
  operation: string,
  signal: AbortSignal | undefined,
  command: (client: Sender) => Promise<T>,
): Promise<T> {
  const deadline = monotonicClock() + ctx.config.operationTimeoutMs;
  const { connection } = ctx;
  if (connection.status === "ready") return sendNow(ctx, operation, signal, command, deadline);
  if (connection.status === "down") {
    return Promise.reject(notConnectedError(operation, connection.lastError));
  }
  return afterFirstConnection(ctx, operation, signal, command, deadline);
}

async function sendNow<T>(
  ctx: DriverContext,
  operation: string,
  signal: AbortSignal | undefined,
  command: (client: Sender) => Promise<T>,
  deadline: number,
): Promise<T> {
  // node-redis adds a listener per command to the signal it gets: it gets one of its own per
  // command, so a signal shared by many calls (an app's shutdown signal) keeps one listener.
  const linked = signal && ctx.client.withAbortSignal ? linkedSignal(signal) : undefined;
  const client = linked ? ctx.client.withAbortSignal!(linked.signal) : ctx.client;
  const outcome = await raceDeadline(command(client), deadline);
  linked?.done();
  if (outcome.by === "value") return outcome.value;
  if (outcome.by === "error") throw toRedisLockError(outcome.error, operation);
  // Its late reply or error is dropped: raceDeadline has listened to the promise.
  throw noReplyError(operation, ctx.config.operationTimeoutMs);
}

/** Waits (deadline, signal) for the client's first connection, then sends; nothing is queued. */
async function afterFirstConnection<T>(
  ctx: DriverContext,
  operation: string,
  signal: AbortSignal | undefined,
  command: (client: Sender) => Promise<T>,
  deadline: number,
): Promise<T> {
  const { connection } = ctx;
  while (connection.status === "opening") {
    const waited = await raceDeadline(connection.changed(), deadline, signal);
    if (waited.by === "abort") throw abortError(signal as AbortSignal, `Redis ${operation}`);
    // Refused credentials or a client of the wrong kind: the next attempt would fail the same way.
    const refusal = connectionRefusal(operation, connection.lastError);
    if (refusal) throw refusal;
    if (waited.by === "deadline") {
      throw firstConnectionTimeoutError(
        operation,
        ctx.config.operationTimeoutMs,
        connection.lastError,
      );
    }
  }
  if (connection.status === "down") throw notConnectedError(operation, connection.lastError);
  return sendNow(ctx, operation, signal, command, deadline);
}

/** One script call, its errors mapped to LockErrors. */
export function callScript(
  ctx: DriverContext,
  operation: string,
  script: LuaScript,
  call: ScriptCall,
  signal?: AbortSignal,
): Promise<unknown> {
  return send(ctx, operation, signal, (client) => runScript(client, script, call));
}

/** One script call followed on its connection by `followers` (WAIT), bounded as one operation. */
export function callScriptThen(
  ctx: DriverContext,
  operation: string,
  script: LuaScript,
  call: ScriptCall,
  followers: readonly string[][],
  signal?: AbortSignal,
): Promise<{ reply: unknown; followers: Settled[] }> {
  return send(ctx, operation, signal, (client) => {
    if (!pipelines(client)) throw noPipelinesError(ctx, operation);
    return runScriptThen(client, script, call, followers);
  });
}

const pipelines = (
  client: Sender,
): client is Sender & Required<Pick<Sender, "evalShaThen" | "evalThen">> =>
  client.evalShaThen !== undefined && client.evalThen !== undefined;

/** Unreachable through createRedisBackend, which refuses durability on such a client. */
const noPipelinesError = (ctx: DriverContext, operation: string): LockError =>
  new LockError(
    "InvalidArgument",
    `Redis ${operation} failed: the ${ctx.library} client cannot pipeline WAIT after a script (durability)`,
  );

/** A plain GET of one key (lookups need no script), its errors mapped to LockErrors. */
export function readKey(
  ctx: DriverContext,
  operation: string,
  key: string,
  signal?: AbortSignal,
): Promise<unknown> {
  return send(ctx, operation, signal, (client) => client.get(key));
}
