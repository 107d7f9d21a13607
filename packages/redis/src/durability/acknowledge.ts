import { LockError, type LockErrorCode } from "@syncguard/core";
import { writeLog } from "@syncguard/core/driver";
import type { Settled } from "../clients/adapter";
import { callScriptThen } from "../command";
import type { DriverContext } from "../context";
import type { LuaScript } from "../scripts";
import type { ScriptCall } from "../types";
import type { DurabilityConfig } from "./options";

/** Marks a LockError raised for a durability shortfall (ADR-040); read by isDurabilityShortfall. */
const SHORTFALL = Symbol.for("syncguard.redis.durabilityShortfall");

/** What a durable write got back: the acknowledgements asked for, and those that came. */
export interface DurabilityShortfall {
  readonly asked: string;
  readonly got: string;
}

/**
 * True for the error an acquire or extend rejects with when too few replicas acknowledged it, and
 * for an error caused by one (lock() gave up while its next attempt was unanswered).
 */
export function isDurabilityShortfall(error: unknown): error is LockError {
  for (let depth = 0; error instanceof Error && depth < 4; depth++) {
    if ((error as { [SHORTFALL]?: unknown })[SHORTFALL] === true) return true;
    error = error.cause;
  }
  return false;
}

/** The command that waits for the acknowledgements, sent right behind the write. */
export function acknowledgementCommand(durability: DurabilityConfig): string[] {
  const replicas = String(durability.replicas);
  const timeout = String(durability.timeoutMs);
  return durability.aof ? ["WAITAOF", "1", replicas, timeout] : ["WAIT", replicas, timeout];
}

const describe = (durability: DurabilityConfig): string =>
  durability.aof
    ? `the AOF fsync of the primary and of ${durability.replicas} replica(s) (WAITAOF)`
    : `${durability.replicas} replica(s) (WAIT)`;

/** Undefined when the reply shows every acknowledgement asked for; what fell short otherwise. */
export function judgeAcknowledgement(
  durability: DurabilityConfig,
  outcome: Settled | undefined,
): DurabilityShortfall | undefined {
  const asked = describe(durability);
  if (outcome === undefined) return { asked, got: "no reply" };
  if (!outcome.ok) {
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    return { asked, got: `an error: ${message}` };
  }
  const { value } = outcome;
  if (durability.aof) {
    const [local, replicas] = Array.isArray(value) ? value.map(Number) : [];
    if (
      local !== undefined &&
      local >= 1 &&
      replicas !== undefined &&
      replicas >= durability.replicas
    )
      return undefined;
    return { asked, got: `local ${String(local)}, replicas ${String(replicas)}` };
  }
  const replicas = Number(value);
  if (replicas >= durability.replicas) return undefined;
  return { asked, got: `${Number.isNaN(replicas) ? String(value) : replicas} replica(s)` };
}

/** A durable write: the script, how its reply reads, and how to take an acquire back. */
export interface DurableCall<T> {
  /** The operation as errors and warnings name it ("acquire", "extendPermit"). */
  readonly operation: string;
  /** An acquire can be taken back; an extend cannot (see settleShortfall). */
  readonly kind: "acquire" | "extend";
  /** What was written, for messages: "lock" or "permit". */
  readonly noun: string;
  readonly script: LuaScript;
  readonly call: ScriptCall;
  readonly signal: AbortSignal | undefined;
  /** The script's reply as the operation's result. */
  readonly result: (reply: unknown) => T;
  /** Whether the result wrote something the replicas must hold (acquired, extended). */
  readonly wrote: (result: T) => boolean;
  /** Releases what an acquire wrote; absent for an extend. */
  readonly undo?: () => Promise<unknown>;
}

/**
 * A write (an acquire or extend script) followed on its connection by WAIT or WAITAOF. Its result
 * once every acknowledgement asked for came within durability.timeoutMs; a shortfall is settled
 * as `durability.onShortfall` says.
 */
export async function durableCall<T>(
  ctx: DriverContext,
  durability: DurabilityConfig,
  write: DurableCall<T>,
): Promise<T> {
  const { reply, followers } = await callScriptThen(
    ctx,
    write.operation,
    write.script,
    write.call,
    [acknowledgementCommand(durability)],
    write.signal,
  );
  const result = write.result(reply);
  const shortfall = judgeAcknowledgement(durability, followers[0]);
  if (shortfall && write.wrote(result)) await settleShortfall(ctx, durability, write, shortfall);
  return result;
}

function shortfallError(
  code: LockErrorCode,
  operation: string,
  shortfall: DurabilityShortfall,
  outcome: string,
  cause?: unknown,
): LockError {
  const error = new LockError(
    code,
    `Redis ${operation} failed: durability shortfall, asked for ${shortfall.asked} within ` +
      `durability.timeoutMs and got ${shortfall.got}; ${outcome}`,
    cause === undefined ? {} : { cause },
  );
  Object.defineProperty(error, SHORTFALL, { value: true });
  return error;
}

/**
 * What a write that fell short becomes. "warn": one warning, and the write stands. "fail": an
 * acquire is taken back (`undo`, its release) and rejects with ServiceUnavailable (nothing is
 * held); if the release itself fails, NetworkTimeout (it may still be held; core gives it back
 * in the background). An extend cannot be taken back: NetworkTimeout (the primary has the new
 * expiry, the replicas may not; the caller keeps counting from the last confirmed one).
 */
async function settleShortfall(
  ctx: DriverContext,
  durability: DurabilityConfig,
  {
    operation,
    kind,
    noun,
    undo,
  }: Pick<DurableCall<unknown>, "operation" | "kind" | "noun" | "undo">,
  shortfall: DurabilityShortfall,
): Promise<void> {
  if (durability.onShortfall === "warn") {
    writeLog(
      ctx.config.logger,
      "warn",
      `[SyncGuard] Redis ${operation}: durability shortfall, asked for ${shortfall.asked} and got ` +
        `${shortfall.got}; the ${kind} stands (onShortfall "warn") and may be lost in a failover`,
    );
    return;
  }
  if (kind === "extend" || !undo) {
    throw shortfallError(
      "NetworkTimeout",
      operation,
      shortfall,
      "the primary has the new expiry, its replicas may not",
    );
  }
  try {
    await undo();
  } catch (error) {
    throw shortfallError(
      "NetworkTimeout",
      operation,
      shortfall,
      `releasing the ${noun} written on the primary failed too, so it may still be held`,
      error,
    );
  }
  throw shortfallError("ServiceUnavailable", operation, shortfall, `the ${noun} was released`);
}
