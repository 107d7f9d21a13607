import { createHash } from "node:crypto";
import { LOCK_ID_LENGTH, MAX_FENCE, TIME_TOLERANCE_MS } from "@syncguard/core/driver";
import { isNoScriptError, registerScriptSource } from "./errors";
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
 * A script as Redis runs it: constants written in (no call has to send them), the shared record
 * helpers (record.lua), then the body from its .lua file.
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
    HANDOFF_WINDOW_MS,
    MAX_QUEUE_POPS,
  };
  const prelude = Object.entries(constants)
    .map(([constant, value]) => `local ${constant} = ${value}\n`)
    .join("");
  const source = `${prelude}local PUBLISH_COMMAND = '${publishCommand}'\n${RECORD_LUA}\n${body}`;
  const sha = createHash("sha1").update(source).digest("hex");
  registerScriptSource(sha, source); // so an ACL refusal inside it can name the command
  return Object.freeze({ name, source, sha });
}

type ScriptRunner = Pick<ScriptClient, "evalSha" | "eval">;

/**
 * Runs a script in one round trip: EVALSHA, and EVAL only when the server has lost its script
 * cache (restart, failover, SCRIPT FLUSH); EVAL caches it again. The keys route the call to the
 * right node on a cluster. Errors are the client's; the caller maps them.
 */
export async function runScript(
  client: ScriptRunner,
  script: LuaScript,
  call: ScriptCall,
): Promise<unknown> {
  try {
    return await client.evalSha(script.sha, call);
  } catch (error) {
    if (!isNoScriptError(error)) throw error;
    return await client.eval(script.source, call);
  }
}
