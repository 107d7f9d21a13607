/**
 * Counts what a backend asks of its client, to prove that a rejected call did no I/O: every
 * method call on a node-redis client; every call on a Firestore client, its references and
 * queries except those that only build a reference (collection, doc, where, ...).
 */
import type { Firestore } from "@google-cloud/firestore";
import type { RedisClientLike } from "@syncguard/redis";

export interface IoCounter {
  count: number;
  /** Names of the calls counted, for failure messages. */
  calls: string[];
}

const record = (counter: IoCounter, name: string) => {
  counter.count += 1;
  if (counter.calls.length < 50) counter.calls.push(name);
};

/** The client, with every method call counted. */
export function countRedisCommands(client: RedisClientLike): {
  client: RedisClientLike;
  counter: IoCounter;
} {
  const counter: IoCounter = { count: 0, calls: [] };
  const proxy = new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        record(counter, String(prop));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { client: proxy, counter };
}

/** Calls that only build a reference or a query; nothing leaves the process. */
const BUILDERS = new Set([
  "collection",
  "doc",
  "collectionGroup",
  "where",
  "orderBy",
  "limit",
  "limitToLast",
  "select",
  "offset",
  "startAt",
  "startAfter",
  "endAt",
  "endBefore",
  "withConverter",
]);

/** The Firestore client, with every call that may do I/O counted (references followed). */
export function countFirestoreIo(db: Firestore): { db: Firestore; counter: IoCounter } {
  const counter: IoCounter = { count: 0, calls: [] };
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, prop) {
        const value = Reflect.get(t, prop, t);
        if (typeof value !== "function" || prop === "constructor") return value;
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => unknown).apply(t, args);
          if (BUILDERS.has(String(prop))) {
            return result !== null && typeof result === "object" ? wrap(result) : result;
          }
          record(counter, String(prop));
          return result;
        };
      },
    });
  return { db: wrap(db), counter };
}
