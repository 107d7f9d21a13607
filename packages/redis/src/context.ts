import type { ScanNode } from "./clients/adapter";
import type { RedisBackendConfig } from "./config";
import type { PublishCommand } from "./scripts";
import type { ScriptClient } from "./types";
import type { Watcher } from "./watcher";

/** What every operation receives: the client, the validated config and the backend's state. */
export interface DriverContext {
  /** What scripts and GETs are sent on (see clients/). */
  readonly client: ScriptClient;
  readonly config: RedisBackendConfig;
  /** PUBLISH on a single node; SPUBLISH (sharded, same slot as the lock) on a cluster. */
  readonly publishCommand: PublishCommand;
  /** Wake-up subscriptions, one channel per watched key. */
  readonly watcher: Watcher;
  /** The servers a listing scans: the node, or every master of a cluster in a stable order. */
  scanNodes(): Promise<readonly ScanNode[]>;
}
