import { createHash } from "node:crypto";
import { toLockError } from "@syncguard/core";
import { classifyRedisError, isNoScriptError } from "./errors";
import type { ScriptCall, ScriptClient } from "./types";

/** Reads the server clock in ms; every script starts with it so expiry is judged by Redis. */
export const LUA_NOW = `local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

export interface LuaScript {
  readonly name: string;
  readonly source: string;
  /** SHA-1 of the source, computed once here so EVALSHA needs no SCRIPT LOAD round trip. */
  readonly sha: string;
}

export function defineLuaScript(name: string, body: string): LuaScript {
  const source = LUA_NOW + body;
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
