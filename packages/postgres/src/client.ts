// The few client methods the backend uses, typed structurally: node-postgres' Pool, PoolClient and
// Client, and postgres.js's `sql`, all fit, and no runtime import of either client is needed.

export interface PgQueryResultLike {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}

/** A statement as node-postgres takes it; with `name` it is prepared once per connection. */
export interface PgQueryConfigLike {
  text: string;
  values?: unknown[];
  name?: string;
}

export interface PgQueryable {
  query(statement: string | PgQueryConfigLike): Promise<PgQueryResultLike>;
}

export interface PgNotificationLike {
  channel: string;
  payload?: string | undefined;
}

/** One connection: a `pg.Client`, or a client checked out of a pool. */
export interface PgConnectionLike extends PgQueryable {
  on(event: "notification", listener: (message: PgNotificationLike) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  on(event: "end", listener: () => void): unknown;
  removeListener(event: "notification", listener: (message: PgNotificationLike) => void): unknown;
  removeListener(event: "error", listener: (error: Error) => void): unknown;
  removeListener(event: "end", listener: () => void): unknown;
}

/** A `pg.Client` the backend connects and ends itself: the listening connection of a pool. */
export interface PgListenClientLike extends PgConnectionLike {
  connect(): Promise<unknown>;
  end(): Promise<unknown>;
  /** Lets the process exit while only this connection is open (pg 8.7+). */
  unref?(): void;
}

export interface PgPoolClientLike extends PgConnectionLike {
  /** Back to the pool; with an error (or true) the pool closes the connection instead. */
  release(destroy?: boolean | Error): void;
}

/** A `pg.Pool`. */
export interface PgPoolLike extends PgQueryable {
  connect(): Promise<PgPoolClientLike>;
  /**
   * The class and options the pool builds its clients with (pg.Pool has both): the backend
   * listens for releases on a client of its own built from them, outside the pool. Without them
   * waiters poll.
   */
  readonly Client?: new (
    options: object,
  ) => PgListenClientLike;
  /** The options the pool builds each client with (see `Client`). */
  readonly options?: object;
  /** Set by `pool.end()`: no listening connection is opened any more. */
  readonly ending?: boolean;
}

/** A postgres.js query: a promise of its rows (with `count`) that can be cancelled. */
export interface PostgresJsQueryLike
  extends Promise<Record<string, unknown>[] & { count: number | null }> {
  cancel(): void;
}

/** postgres.js's `sql` (the function `postgres(url)` returns). */
export interface PostgresJsLike {
  unsafe(
    query: string,
    parameters?: unknown[],
    options?: { prepare?: boolean | undefined },
  ): PostgresJsQueryLike;
  listen(
    channel: string,
    onnotify: (payload: string) => void,
    onlisten?: () => void,
  ): Promise<{ unlisten(): Promise<void> }>;
}

/**
 * What `createPostgresBackend` accepts: a `pg.Pool` (recommended with node-postgres), a connected
 * `pg.Client`, or postgres.js's `sql`.
 */
export type PgClientLike = PgPoolLike | PgConnectionLike | PostgresJsLike;

/** postgres.js's `sql` is a function (a tagged template) with `unsafe` and `listen`. */
export function isPostgresJs(client: PgClientLike): client is PostgresJsLike {
  return (
    typeof client === "function" &&
    typeof (client as PostgresJsLike).unsafe === "function" &&
    typeof (client as PostgresJsLike).listen === "function"
  );
}

/** A pool hands out connections; a plain client is one. */
export function isPool(client: PgClientLike): client is PgPoolLike {
  return (
    typeof client === "object" &&
    typeof (client as PgPoolLike).connect === "function" &&
    "totalCount" in client &&
    typeof (client as unknown as PgPoolClientLike).release !== "function"
  );
}

/** Why something passed as the client is refused. */
export const NOT_A_CLIENT =
  "createPostgresBackend and setupSchema need a node-postgres Pool or connected Client (an object with query()) or postgres.js's sql (the function postgres(url) returns)";

export function looksLikeClient(client: unknown): client is PgClientLike {
  if (typeof client === "function") return isPostgresJs(client as unknown as PgClientLike);
  return (
    typeof client === "object" &&
    client !== null &&
    typeof (client as PgQueryable).query === "function"
  );
}
