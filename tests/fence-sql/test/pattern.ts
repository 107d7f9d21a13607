// The SQL fence pattern exactly as the README shows it: the fence check is the WHERE clause of the
// write itself, so no other writer can slip in between check and write. Fences are stored as
// BIGINT: SyncGuard's 15-digit fences (at most 9·10^14) fit, `'000000000000042'::bigint` parses
// them, and numbers compare without depending on a collation or on every writer zero-padding.

/** One protected resource: a row that remembers the fence of its last write. */
export const CREATE_TABLE = (table: string) => `
  CREATE TABLE ${table} (
    id          text    PRIMARY KEY,
    balance     integer NOT NULL,
    last_fence  bigint  NOT NULL
  )`;

/** Insert or overwrite, unless a newer fence wrote already: 1 row = written, 0 rows = stale. */
export const FENCED_UPSERT = (table: string) => `
  INSERT INTO ${table} AS t (id, balance, last_fence)
  VALUES ($1, $2, $3::bigint)
  ON CONFLICT (id) DO UPDATE
    SET balance = excluded.balance, last_fence = excluded.last_fence
    WHERE t.last_fence <= excluded.last_fence`;

/** Update an existing row the same way: 1 row = written, 0 rows = stale (or no such row). */
export const FENCED_UPDATE = (table: string) => `
  UPDATE ${table}
  SET balance = $2, last_fence = $3::bigint
  WHERE id = $1 AND last_fence <= $3::bigint`;

/** The stored fence back in SyncGuard's 15-digit form (for StaleFenceError, logs). */
export const READ_FENCE = (table: string) => `
  SELECT balance, lpad(last_fence::text, 15, '0') AS last_fence FROM ${table} WHERE id = $1`;
