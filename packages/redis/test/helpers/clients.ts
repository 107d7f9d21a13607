import { Redis as Ioredis6 } from "ioredis";
import { Redis as Ioredis5 } from "ioredis5";
import { Redis as Iovalkey } from "iovalkey";
import { createClient } from "redis";
import { createClient as createClient5 } from "redis5";
import type { RedisClientLike } from "../../src";
import type { ClientLibrary } from "../fixtures/connect";

export { type ClientLibrary, connectWith, GLIDE, LIBRARIES } from "../fixtures/connect";

/** Valkey GLIDE in test titles (the client-matrix reporter counts by it). */
export const GLIDE_LABEL = "valkey-glide 2";

/** How each library is named in test titles (the client-matrix reporter counts by it). */
export const CLIENT_LABELS: Record<ClientLibrary, string> = {
  redis: "node-redis 6",
  redis5: "node-redis 5",
  ioredis: "ioredis 6",
  ioredis5: "ioredis 5",
  iovalkey: "iovalkey 0",
};

/** A single-node client of any library, not connected yet, with the few controls tests need. */
export interface TestClient {
  client: RedisClientLike;
  connect(): Promise<void>;
  /** True when commands go straight to the server. */
  ready(): boolean;
  /** Ends the connection at once (nothing reconnects). */
  destroy(): void;
}

interface ClientSettings {
  /** Reconnect after a lost connection (the libraries' default). */
  reconnect?: boolean;
  /**
   * Connect without a handshake (no HELLO, no ready check), so the first command meets the
   * server's auth check: RESP2 on node-redis 6 (node-redis 5 sends HELLO only when asked for a
   * RESP version), no ready check on ioredis (and RESP2 on ioredis 6, whose RESP3 sends HELLO).
   */
  bare?: boolean;
  /** Fails a command with no reply after this many ms. */
  socketTimeoutMs?: number;
}

/** A client of `library` for the server at `url`, configured as the test needs. */
export function testClient(
  library: ClientLibrary,
  url: string,
  settings: ClientSettings = {},
): TestClient {
  if (library === "ioredis" || library === "ioredis5" || library === "iovalkey") {
    const options = {
      lazyConnect: true,
      ...(settings.bare ? { enableReadyCheck: false } : {}),
      ...(settings.reconnect === false ? { retryStrategy: () => null } : {}),
      ...(settings.socketTimeoutMs ? { commandTimeout: settings.socketTimeoutMs } : {}),
    };
    const client =
      library === "ioredis"
        ? new Ioredis6(url, { ...options, ...(settings.bare ? { protocol: 2 as const } : {}) })
        : library === "ioredis5"
          ? new Ioredis5(url, options)
          : new Iovalkey(url, options);
    client.on("error", () => {});
    return {
      client,
      connect: () => client.connect(),
      ready: () => client.status === "ready",
      destroy: () => client.disconnect(),
    };
  }
  const options = {
    url,
    ...(settings.bare && library === "redis" ? { RESP: 2 as const } : {}),
    socket: {
      ...(settings.reconnect === false ? { reconnectStrategy: false as const } : {}),
      ...(settings.socketTimeoutMs ? { socketTimeout: settings.socketTimeoutMs } : {}),
    },
  };
  const client = library === "redis" ? createClient(options) : createClient5(options);
  client.on("error", () => {});
  return {
    client: client as RedisClientLike,
    connect: async () => {
      await client.connect();
    },
    ready: () => client.isReady,
    // node-redis throws when destroying a client that already closed itself.
    destroy: () => {
      if (client.isOpen) client.destroy();
    },
  };
}
