import type { ClientLibrary, ScanNode, Sender } from "./clients/adapter";
import type { ConnectionState } from "./clients/connection";
import type { RedisBackendConfig } from "./config";
import type { PublishCommand } from "./scripts";
import type { Watcher } from "./watcher";

/** What every operation receives: the client, the validated config and the backend's state. */
export interface DriverContext {
  /** What scripts and GETs are sent on (see clients/). */
  readonly client: Sender;
  /** Whether a command sent now would go to the server, and why not. */
  readonly connection: ConnectionState;
  /** Which library the client comes from, and whether it is a cluster client. */
  readonly library: ClientLibrary;
  readonly cluster: boolean;
  readonly config: RedisBackendConfig;
  /** PUBLISH on a single node; SPUBLISH (sharded, same slot as the lock) on a cluster. */
  readonly publishCommand: PublishCommand;
  /** Wake-up subscriptions, one channel per watched key. */
  readonly watcher: Watcher;
  /** The servers a listing scans: the node, or every master of a cluster in a stable order. */
  scanNodes(): Promise<readonly ScanNode[]>;
}
