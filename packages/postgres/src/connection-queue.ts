import { raceDeadline } from "@syncguard/core/driver";

/** A statement handed to the connection, still running or settled. */
export interface SentStatement<T> {
  readonly by: "sent";
  readonly pending: Promise<T>;
}

/**
 * This package's statements on one node-postgres connection (a caller's `pg.Client`, or a pool's
 * listening client), one at a time, in the order they were asked for. pg 8 queues a `query()`
 * made while another runs, but warns that doing so is deprecated (pg 9 refuses it), so the next
 * statement is handed to the connection only once the previous one settled. A statement whose
 * deadline passes, or whose signal fires, while it waits for its turn is never sent: nothing was
 * written. Only statements of this copy of the package take turns here; the caller's own queries
 * on the same client are theirs to order.
 */
export class ConnectionQueue {
  private last: Promise<void> = Promise.resolve();

  /**
   * Calls `send` (which starts the statement) once every statement queued here before it has
   * settled, and returns what it started; or, when `deadline` or `signal` comes first, returns
   * which one came and never calls `send`.
   */
  async send<T>(
    send: () => Promise<T>,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<SentStatement<T> | { readonly by: "deadline" | "abort" }> {
    const turn = this.last;
    let settled!: () => void;
    this.last = new Promise<void>((resolve) => {
      settled = resolve;
    });
    const waited = await raceDeadline(turn, deadline, signal);
    if (waited.by === "deadline" || waited.by === "abort") {
      // Not sent: the next one in line goes as soon as this one's turn comes.
      void turn.then(settled);
      return { by: waited.by };
    }
    let pending: Promise<T>;
    try {
      pending = send();
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(settled, settled);
    return { by: "sent", pending };
  }
}

const queues = new WeakMap<object, ConnectionQueue>();

/** The queue of a connection object, made on first use (shared by every backend on it). */
export function queueOf(connection: object): ConnectionQueue {
  let queue = queues.get(connection);
  if (!queue) {
    queue = new ConnectionQueue();
    queues.set(connection, queue);
  }
  return queue;
}
