import { LockError } from "@syncguard/core";
import { raceDeadline } from "@syncguard/core/driver";
import type { PostgresJsLike } from "../client";
import type { ListenTransport } from "./hub";

/**
 * postgres.js listens on a connection of its own (`sql.listen`), outside its pool, one per `sql`
 * for every channel. When that connection breaks it reconnects and listens again by itself,
 * calling `onlisten` each time: every call after the first is reported as a resumption.
 */
export function postgresJsTransport(sql: PostgresJsLike): ListenTransport {
  return {
    unavailable: () => undefined,
    async open(events) {
      const channels = new Map<string, { live: boolean; unlisten: () => Promise<void> }>();
      const unlisten = async (channel: string, deadline: number) => {
        const state = channels.get(channel);
        if (!state) return;
        channels.delete(channel);
        state.live = false;
        await raceDeadline(state.unlisten(), deadline);
      };
      return {
        async listen(channel, deadline) {
          // After a re-listen postgres.js's unlisten() no longer removes the callbacks: a flag
          // turns them off instead.
          const state = { live: true, unlisten: async () => {} };
          let first = true;
          const request = sql.listen(
            channel,
            (payload) => {
              if (state.live) events.notified(channel, payload);
            },
            () => {
              if (first) first = false;
              else if (state.live) events.relistened(channel);
            },
          );
          const got = await raceDeadline(request, deadline);
          if (got.by !== "value") {
            state.live = false;
            request.then((late) => late.unlisten()).catch(() => {});
            if (got.by === "error") throw got.error;
            throw new LockError(
              "ServiceUnavailable",
              "PostgreSQL watch (LISTEN) got no answer in time",
            );
          }
          state.unlisten = () => got.value.unlisten();
          channels.set(channel, state);
        },
        unlisten,
        async close(deadline) {
          await Promise.all([...channels.keys()].map((c) => unlisten(c, deadline)));
        },
      };
    },
  };
}
