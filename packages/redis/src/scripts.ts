import { createHash } from "node:crypto";
import { TIME_TOLERANCE_MS, toLockError } from "@syncguard/core";
import { classifyRedisError, isNoScriptError } from "./errors";
import { LUA_RECORD } from "./record";
import type { ScriptCall, ScriptClient } from "./types";

/**
 * Helpers a script may call. `serverNow()` reads the Redis clock in ms, so expiry is judged by the
 * server; scripts call it only on the paths that need it. `int()` prints integers in full ("%.0f"):
 * Lua's own number-to-string conversion would switch 15-digit fences to exponent notation.
 */
const LUA_TIME = `local function int(n) return string.format('%.0f', n) end
local function serverNow()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;

/** One `local function name(...) ... end` per helper, in dependency order. */
const HELPERS = splitHelpers(LUA_TIME + LUA_RECORD);

function splitHelpers(source: string): Array<{ name: string; source: string }> {
  return source
    .split(/^(?=local function )/m)
    .filter((part) => part.trim() !== "")
    .map((part) => ({ name: /^local function (\w+)/.exec(part)?.[1] ?? "", source: part }));
}

/**
 * The script's prelude: core's tolerance written in as a constant (no call has to send it) and
 * only the helpers the body uses, directly or through another helper. Each EVALSHA builds its
 * local functions anew, so unused ones would cost every call.
 */
function prelude(body: string): string {
  const used: string[] = [];
  let uses = body;
  for (const helper of [...HELPERS].reverse()) {
    if (new RegExp(`\\b${helper.name}\\(`).test(uses)) {
      used.unshift(helper.source);
      uses += helper.source;
    }
  }
  return `local TOLERANCE = ${TIME_TOLERANCE_MS}\n${used.join("")}`;
}

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  /** SHA-1 of the source, computed once here so EVALSHA needs no SCRIPT LOAD round trip. */
  readonly sha: string;
}

export function defineLuaScript(name: string, body: string): LuaScript {
  const source = prelude(body) + body;
  return Object.freeze({ name, source, sha: createHash("sha1").update(source).digest("hex") });
}

/**
 * Runs a script in one round trip: EVALSHA, and EVAL only when the server has lost its script
 * cache (restart, failover, SCRIPT FLUSH); EVAL caches it again. The keys route the call to the
 * right node on a cluster. Failures become LockErrors with the client error as `cause`.
 */
export async function runScript(
  client: ScriptClient,
  script: LuaScript,
  call: ScriptCall,
): Promise<unknown> {
  try {
    try {
      return await client.evalSha(script.sha, call);
    } catch (error) {
      if (!isNoScriptError(error)) throw error;
      return await client.eval(script.source, call);
    }
  } catch (error) {
    throw toLockError(error, classifyRedisError, `Redis ${script.name} failed`);
  }
}
