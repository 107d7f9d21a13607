import { connect, createServer, type Socket } from "node:net";

/** A loopback TCP proxy in front of a real service that a test can cut off without stopping it. */
export interface PartitionProxy {
  /** Point the client under test here instead of at the service. */
  readonly host: string;
  readonly port: number;
  /**
   * Simulates a network partition: existing connections stop carrying data in both directions
   * (requests hang, as they do when packets are dropped) and new connections are accepted but
   * never reach the service.
   */
  cut(): void;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts a proxy on a free loopback port forwarding to `target`. Use it to test what a lock
 * holder sees when its backend becomes unreachable (the lease's safe deadline) against the real
 * service, with no mock in between.
 */
export async function startPartitionProxy(target: {
  host: string;
  port: number;
}): Promise<PartitionProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let partitioned = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    if (partitioned) {
      client.pause(); // accepted, never answered
      return;
    }
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.add([client, upstream]);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    host: "127.0.0.1",
    port: address.port,
    cut() {
      partitioned = true;
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
