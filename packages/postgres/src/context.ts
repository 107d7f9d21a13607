import type { AbandonedStatements } from "./abandoned";
import type { PgClientLike } from "./client";
import type { PostgresConfig } from "./config";
import type { NotifyWatcher } from "./listen/watcher";

/** What every operation receives: the caller's client, the validated config and the backend's state. */
export interface DriverContext {
  readonly client: PgClientLike;
  readonly config: PostgresConfig;
  /** This backend's write statements given up on that may still run on the server. */
  readonly abandoned: AbandonedStatements;
  /** Wake-ups on release (LISTEN/NOTIFY); absent with `notify: false`. */
  readonly watcher: NotifyWatcher | undefined;
}
