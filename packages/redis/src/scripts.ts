import { createHash } from "node:crypto";
import { LOCK_ID_LENGTH, MAX_FENCE, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import type { Sender, Settled } from "./clients/adapter";
import { isNoScriptError, registerScriptSource } from "./errors";
import PERMIT_QUEUE_LUA from "./permit-queue.lua";
import RECORD_LUA from "./record.lua";
import type { ScriptCall, ScriptClient } from "./types";

/** How long a released key stays reserved for the waiter it was handed to. */
export const HANDOFF_WINDOW_MS = 250;
/** At most this many lapsed waiters are dropped from a queue by one release. */
export const MAX_QUEUE_POPS = 16;

export type PublishCommand = "PUBLISH" | "SPUBLISH";

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  /** SHA-1 of the source, computed once here so EVALSHA needs no SCRIPT LOAD round trip. */
  readonly sha: string;
}

/**
 * The lines of a script body where shared helpers go: the lock record's (record.lua), and the
 * hand-off of a freed permit to a semaphore's oldest waiter (permit-queue.lua).
 */
const HELPERS: ReadonlyMap<string, string> = new Map([
  ["--@record", RECORD_LUA],
  ["--@permit-queue", PERMIT_QUEUE_LUA],
]);

/** 1-based offset of the `waited` flag in a lock record: right after the lockId and its `|`. */
export const WAITED_AT = LOCK_ID_LENGTH + 2;

/**
 * A script as Redis runs it: constants written in (no call has to send them), then the body from
 * its .lua file with the shared helpers at their lines (`--@record`: record.lua, `--@permit-queue`:
 * permit-queue.lua). Lua creates a script's local functions every time the script runs past them,
 * so the common path of each script comes first and returns before the helpers (a body without
 * the line gets none).
 */
export function defineLuaScript(
  name: string,
  body: string,
  publishCommand: PublishCommand = "PUBLISH",
): LuaScript {
  const constants = {
    TOLERANCE: TIME_TOLERANCE_MS,
    MAX_FENCE,
    LOCK_ID_LENGTH,
    WAITED_AT,
    HANDOFF_WINDOW_MS,
    MAX_QUEUE_POPS,
  };
  const prelude = Object.entries(constants)
    .map(([constant, value]) => `local ${constant} = ${value}\n`)
    .join("");
  const withHelpers = body
    .split("\n")
    .map((line) => HELPERS.get(line.trim()) ?? line)
    .join("\n");
  const source = `${prelude}local PUBLISH_COMMAND = '${publishCommand}'\n${withHelpers}`;
  const sha = createHash("sha1").update(source).digest("hex");
  registerScriptSource(sha, source); // so an ACL refusal inside it can name the command
  return Object.freeze({ name, source, sha });
}

type ScriptRunner = Pick<ScriptClient, "evalSha" | "eval">;

/**
 * Runs a script in one round trip: EVALSHA, and EVAL only when the server has lost its script
 * cache (restart, failover, SCRIPT FLUSH); EVAL caches it again. The keys route the call to the
 * right node on a cluster. Errors are the client's; the caller maps them. The common case returns
 * the client's own promise: no promise of ours is in between.
 */
export function runScript(
  client: ScriptRunner,
  script: LuaScript,
  call: ScriptCall,
): Promise<unknown> {
  return client.evalSha(script.sha, call).catch((error: unknown) => {
    if (!isNoScriptError(error)) throw error;
    return client.eval(script.source, call);
  });
}

/**
 * A script followed by keyless commands on the same connection (WAIT after a write), as
 * runScript: EVALSHA first, EVAL with the followers again after NOSCRIPT. The script's error
 * is thrown; the followers' outcomes are returned settled, for the caller to judge.
 */
export async function runScriptThen(
  client: Required<Pick<Sender, "evalShaThen" | "evalThen">>,
  script: LuaScript,
  call: ScriptCall,
  followers: readonly string[][],
): Promise<{ reply: unknown; followers: Settled[] }> {
  let settled = await client.evalShaThen(script.sha, call, followers);
  let [first] = settled;
  if (first && !first.ok && isNoScriptError(first.error)) {
    settled = await client.evalThen(script.source, call, followers);
    [first] = settled;
  }
  if (!first) throw new Error(`no reply to the ${script.name} script`);
  if (!first.ok) throw first.error;
  return { reply: first.value, followers: settled.slice(1) };
}
