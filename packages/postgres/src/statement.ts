import { LockError } from "@syncguard/core";
import { keyDigest, monotonicClock, raceDeadline } from "@syncguard/core/driver";
import { cancelTargetOf, sendCancelRequest } from "./cancel";
import {
  isPool,
  isPostgresJs,
  type PgClientLike,
  type PgPoolClientLike,
  type PgQueryResultLike,
  type PostgresJsLike,
} from "./client";
import { queueOf } from "./connection-queue";
import type { DriverContext } from "./context";
import { isRetryable, isServerError, toPostgresLockError } from "./errors";

export interface Statement {
  /** The operation it belongs to, for messages ("acquire"). */
  readonly operation: string;
  readonly text: string;
  readonly values: unknown[];
  /** Writes: a connection lost (or a deadline passed) with it in flight leaves its outcome unknown. */
  readonly write: boolean;
  /**
   * The lock a write acts for: it is not sent while an earlier statement for the same lockId,
   * given up on, may still commit; and if it is given up on itself, later ones wait for it.
   */
  readonly lockId?: string;
  readonly signal?: AbortSignal | undefined;
}

const names = new Map<string, string>();

/**
 * Every statement is prepared under a name derived from its text: parsed and planned once per
 * connection, then only bound and executed (the statements are fixed per backend). Two backends
 * with different tables have different texts, hence different names on a shared connection.
 */
function preparedName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `syncguard_${keyDigest(text, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** Attempts after a serialization failure or deadlock (each rolled back in full). */
const MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 5;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one statement (autocommit: atomic on its own) within the operation deadline and the
 * caller's signal, retrying serialization failures and deadlocks. A statement given up on is
 * cancelled on the server (see `abandon`); the call itself still ends by the deadline.
 */
export async function runStatement(
  ctx: DriverContext,
  statement: Statement,
): Promise<PgQueryResultLike> {
  const deadline = monotonicClock() + ctx.config.operationTimeoutMs;
  await afterAbandoned(ctx, statement, deadline);
  for (let attempt = 1; ; attempt++) {
    try {
      return await runOnce(ctx, statement, deadline);
    } catch (error) {
      if (!isRetryable(error) || attempt >= MAX_ATTEMPTS)
        throw mapped(ctx, statement, error, false);
      const pause = RETRY_BASE_MS * 2 ** (attempt - 1) * (0.5 + Math.random());
      if (monotonicClock() + pause >= deadline) throw mapped(ctx, statement, error, false);
      const waited = await raceDeadline(sleep(pause), deadline, statement.signal);
      if (waited.by === "abort") {
        throw stopped(statement, "abort", false, ctx.config.operationTimeoutMs);
      }
    }
  }
}

/**
 * Waits (within the deadline) until no statement for the same lockId that was given up on can
 * still commit: only then does this one see what that one did.
 */
async function afterAbandoned(ctx: DriverContext, s: Statement, deadline: number) {
  const earlier = s.lockId === undefined ? undefined : ctx.abandoned.pending(s.lockId);
  if (!earlier) return;
  const waited = await raceDeadline(earlier, deadline, s.signal);
  if (waited.by === "value") return;
  if (waited.by === "abort") throw stopped(s, "abort", false, ctx.config.operationTimeoutMs);
  throw new LockError(
    "ServiceUnavailable",
    `PostgreSQL ${s.operation}: an earlier statement for this lock, given up on, was still running on the server after ${ctx.config.operationTimeoutMs} ms; this one was not sent, so nothing was written`,
  );
}

/**
 * A statement given up on (deadline or signal) may still be running, or waiting on a row lock,
 * on the server, and could commit later. It is cancelled there, and a write is recorded under its
 * lockId until it has ended, so a release of that lockId (core releases an acquire of unknown
 * outcome) runs only after it can no longer commit.
 */
function abandon(ctx: DriverContext, s: Statement, ended: Promise<unknown>): void {
  if (s.write && s.lockId !== undefined) {
    ctx.abandoned.add(
      s.lockId,
      ended.then(
        () => undefined,
        () => undefined,
      ),
    );
  }
}

function mapped(ctx: DriverContext, s: Statement, error: unknown, sent: boolean): LockError {
  return toPostgresLockError(error, s.operation, sent && s.write, ctx.config.allTables);
}

function runOnce(ctx: DriverContext, s: Statement, deadline: number): Promise<PgQueryResultLike> {
  const { client } = ctx;
  return isPostgresJs(client)
    ? runOnPostgresJs(ctx, client, s, deadline)
    : runOnNodePostgres(ctx, client, s, deadline);
}

/**
 * postgres.js: one prepared query from its own pool. One given up on is cancelled with
 * `query.cancel()` (PostgreSQL's cancel request); the query settles once the server ended it.
 */
async function runOnPostgresJs(
  ctx: DriverContext,
  sql: PostgresJsLike,
  s: Statement,
  deadline: number,
): Promise<PgQueryResultLike> {
  const pending = sql.unsafe(s.text, s.values, { prepare: true });
  const outcome = await raceDeadline(pending, deadline, s.signal);
  if (outcome.by === "value") return { rows: [...outcome.value], rowCount: outcome.value.count };
  if (outcome.by === "error") {
    if (isRetryable(outcome.error)) throw outcome.error;
    throw mapped(ctx, s, outcome.error, true);
  }
  // Only a query on its way to the server is cancelled: postgres.js 3.4 drops one cancelled while
  // its connection is still opening, but the connection keeps waiting for it and `sql.end()`
  // never resolves. An unsent one runs later, tracked like a cancelled one: later statements of
  // its lockId wait until it has ended, and core releases an acquire that landed.
  if ((pending as { state?: unknown }).state) pending.cancel();
  abandon(ctx, s, pending);
  throw stopped(s, outcome.by, true, ctx.config.operationTimeoutMs);
}

async function runOnNodePostgres(
  ctx: DriverContext,
  client: Exclude<PgClientLike, PostgresJsLike>,
  s: Statement,
  deadline: number,
): Promise<PgQueryResultLike> {
  let done: ((destroy?: Error) => void) | undefined;
  let pooledConnection: PgPoolClientLike | undefined;
  if (isPool(client)) {
    const connecting = client.connect();
    const got = await raceDeadline(connecting, deadline, s.signal);
    if (got.by === "error") throw mapped(ctx, s, got.error, false);
    if (got.by !== "value") {
      // Whenever it comes, give it back unused.
      connecting.then(
        (late) => late.release(),
        () => {},
      );
      throw stopped(s, got.by, false, ctx.config.operationTimeoutMs);
    }
    const pooled = got.value;
    pooledConnection = pooled;
    // A checked-out client reports a broken connection as an 'error' event too (the query
    // rejects with it as well); unheard, the event would crash the process. A destroyed client
    // keeps the listener for whatever it reports while closing.
    const ignore = () => {};
    pooled.on("error", ignore);
    done = (destroy) => {
      if (!destroy) pooled.removeListener("error", ignore);
      pooled.release(destroy ?? false);
    };
  }
  const query = { text: s.text, values: s.values, name: preparedName(s.text) };
  let pending: Promise<PgQueryResultLike>;
  if (pooledConnection) pending = pooledConnection.query(query);
  else {
    // A caller's own pg.Client: one of this package's statements at a time on it (pg warns about
    // overlapping calls); one still waiting for its turn at its deadline or signal is never sent.
    const sent = await queueOf(client).send(() => client.query(query), deadline, s.signal);
    if (sent.by !== "sent") throw stopped(s, sent.by, false, ctx.config.operationTimeoutMs);
    pending = sent.pending;
  }
  const outcome = await raceDeadline(pending, deadline, s.signal);
  if (outcome.by === "value") {
    done?.();
    return outcome.value;
  }
  if (outcome.by === "error") {
    // A connection that broke is not reused; one that answered with an error is fine.
    done?.(isServerError(outcome.error) ? undefined : asError(outcome.error));
    if (isRetryable(outcome.error)) throw outcome.error;
    throw mapped(ctx, s, outcome.error, true);
  }
  if (pooledConnection && done) cancelOnPooled(ctx, s, pooledConnection, pending, done);
  // A caller's own pg.Client is shared: a cancel request arrives whenever the server reads it and
  // could hit whatever runs on the connection then (the caller's own query, or the next one of
  // ours), so this one is left to finish. Ours wait for it anyway (one at a time), and the next
  // statement of this lockId runs only after it ended.
  abandon(ctx, s, pending);
  throw stopped(s, outcome.by, true, ctx.config.operationTimeoutMs);
}

/**
 * Cancels a statement running on a pooled connection of its own, asking again every
 * operationTimeoutMs until it ended (a session that had not started the statement yet ignores
 * the request). The connection is kept until then, and closed afterwards rather than reused: a
 * cancel request still on its way must not hit a later statement. Closing it at once would not
 * stop the statement: PostgreSQL notices a closed connection only when it next writes to it.
 */
function cancelOnPooled(
  ctx: DriverContext,
  s: Statement,
  pooled: PgPoolClientLike,
  pending: Promise<unknown>,
  done: (destroy?: Error) => void,
): void {
  const target = cancelTargetOf(pooled);
  const timeoutMs = ctx.config.operationTimeoutMs;
  let again: ReturnType<typeof setInterval> | undefined;
  if (target) {
    const cancel = () => void sendCancelRequest(target, timeoutMs);
    cancel();
    again = setInterval(cancel, timeoutMs);
    again.unref?.();
  }
  const close = () => {
    clearInterval(again);
    done(
      new Error(`SyncGuard gave up on a ${s.operation} statement; its connection is not reused`),
    );
  };
  pending.then(close, close);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The deadline passed or the signal fired before the statement answered. */
function stopped(
  s: Statement,
  by: "deadline" | "abort",
  sent: boolean,
  timeoutMs: number,
): LockError {
  const outcome = sent
    ? s.write
      ? "the statement was sent, so its outcome is unknown"
      : "nothing was written"
    : "no statement was sent, so nothing was written";
  if (by === "abort") {
    return new LockError(
      "Aborted",
      `PostgreSQL ${s.operation} aborted by signal; ${outcome}`,
      s.signal?.reason === undefined ? {} : { cause: s.signal.reason },
    );
  }
  return new LockError(
    sent && s.write ? "NetworkTimeout" : "ServiceUnavailable",
    `PostgreSQL ${s.operation} got no answer within ${timeoutMs} ms; ${outcome}`,
  );
}
