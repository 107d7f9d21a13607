import { LockError } from "@syncguard/core";
import { raceDeadline } from "@syncguard/core/driver";
import type { PgConnectionLike, PgNotificationLike, PgPoolLike } from "../client";
import { queueOf } from "../connection-queue";
import type { ListenSession, ListenTransport, SessionEvents } from "./hub";

const noAnswer = (what: string) =>
  new LockError("ServiceUnavailable", `PostgreSQL ${what} got no answer in time`);

/**
 * A pg.Pool listens on a client of its own, built like the pool builds its clients (the pool's
 * `Client` class and `options`), outside the pool: it never takes a connection the pool's
 * statements need, also with `max: 1`. It is unref'd: a waiting caller keeps the process alive,
 * the listener alone never does.
 */
export function poolTransport(pool: PgPoolLike): ListenTransport {
  return {
    unavailable() {
      if (pool.ending === true) return { reason: "the pool was ended", warn: false };
      if (typeof pool.Client !== "function" || typeof pool.options !== "object" || !pool.options) {
        return {
          reason:
            "this pool has no Client class and options to open its listening connection with (a pg.Pool has both): waiters poll instead of being woken on release",
          warn: true,
        };
      }
      return undefined;
    },
    async open(events, deadline) {
      const Client = pool.Client as NonNullable<PgPoolLike["Client"]>;
      const client = new Client(pool.options as object);
      // An 'error' event nobody hears crashes the process: this client always has a listener.
      client.on("error", () => {});
      const connected = await raceDeadline(client.connect(), deadline);
      if (connected.by !== "value") {
        // Ends it now, or as soon as a late connect lets it.
        client.end().catch(() => {});
        throw connected.by === "error" ? connected.error : noAnswer("listener connect");
      }
      client.unref?.();
      return attach(client, events, () => client.end());
    },
  };
}

/**
 * A caller's own pg.Client listens itself (its statements share the connection). Once its
 * connection ended it cannot come back: waiters then poll.
 */
export function clientTransport(client: PgConnectionLike): ListenTransport {
  let ended = false;
  return {
    unavailable: () =>
      ended ? { reason: "the client's connection has ended", warn: false } : undefined,
    async open(events) {
      return attach(client, {
        ...events,
        broken: () => {
          ended = true;
          events.broken();
        },
      });
    },
  };
}

/**
 * Listens for notifications and the end of the connection on `connection`. `close` detaches,
 * then ends the connection with `end` when it is the listener's own, or else runs UNLISTEN for
 * what it listened.
 */
function attach(
  connection: PgConnectionLike,
  events: SessionEvents,
  end?: () => Promise<unknown>,
): ListenSession {
  const listened = new Set<string>();
  let attached = true;
  const onNotification = (message: PgNotificationLike) => {
    if (message.payload !== undefined) events.notified(message.channel, message.payload);
  };
  const onGone = () => {
    if (!attached) return;
    detach();
    events.broken();
  };
  const detach = () => {
    attached = false;
    connection.removeListener("notification", onNotification);
    connection.removeListener("error", onGone);
    connection.removeListener("end", onGone);
  };
  connection.on("notification", onNotification);
  connection.on("error", onGone);
  connection.on("end", onGone);
  // Channel names are made by resolveConfig: "syncguard_release_" and hex, safe to quote.
  return {
    async listen(channel, deadline) {
      const done = await run(connection, `LISTEN "${channel}"`, deadline);
      if (done.by === "error") throw done.error;
      if (done.by !== "value") throw noAnswer("watch (LISTEN)");
      listened.add(channel);
    },
    async unlisten(channel, deadline) {
      listened.delete(channel);
      if (attached) await run(connection, `UNLISTEN "${channel}"`, deadline);
    },
    async close(deadline) {
      const wasAttached = attached;
      detach();
      const channels = [...listened];
      listened.clear();
      if (end) await raceDeadline(end(), deadline);
      else if (wasAttached) {
        await Promise.all(channels.map((c) => run(connection, `UNLISTEN "${c}"`, deadline)));
      }
    },
  };
}

/**
 * LISTEN or UNLISTEN in its turn among this package's statements on the connection (a caller's
 * pg.Client also runs the backend's statements), within the deadline; never rejects.
 */
async function run(connection: PgConnectionLike, text: string, deadline: number) {
  const sent = await queueOf(connection).send(() => connection.query(text), deadline);
  if (sent.by !== "sent") return { by: sent.by };
  return raceDeadline(sent.pending, deadline);
}
