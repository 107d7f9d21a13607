import type { RedisBackendConfig } from "./config";
import type { ScriptClient } from "./types";

/** What every operation needs: the client, the validated config and how releases are announced. */
export interface OperationContext {
  readonly client: ScriptClient;
  readonly config: RedisBackendConfig;
  /** PUBLISH on a single node; SPUBLISH (sharded, same slot as the lock) on a cluster. */
  readonly publishCommand: "PUBLISH" | "SPUBLISH";
}
