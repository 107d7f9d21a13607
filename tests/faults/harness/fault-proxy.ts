/**
 * A loopback TCP proxy in front of a real server that injects network faults a client cannot
 * tell from the real thing: requests or replies held back (a paused direction), a reply lost
 * after its request ran (forwarded, the reply dropped, the connection closed), slow replies.
 * (The conformance package's startPartitionProxy only cuts everything; these faults need more.)
 */
import { connect, createServer, type Socket } from "node:net";

export type Direction = "up" | "down" | "both";

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** Stops carrying data client->server ("up"), server->client ("down") or both; bytes wait. */
  pause(direction: Direction): void;
  /** Carries everything held back and forwards normally again. */
  resume(): void;
  /**
   * Arms a lost reply: the next request on any connection reaches the server, its reply is
   * dropped and that connection closed as soon as the reply arrives (so the request surely
   * ran). Resolves when the reply has been dropped.
   */
  dropNextReply(): Promise<void>;
  /** Delays every reply chunk by `ms` (0: off). */
  delayReplies(ms: number): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  dropping: boolean;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  const paused = { up: false, down: false };
  let replyDelayMs = 0;
  let dropUnclaimed = false; // armed, and no request has been picked for it yet
  let armedDrop: (() => void) | undefined;
  let accepted = 0;

  const applyPause = (pair: Pair) => {
    if (paused.up) pair.client.pause();
    else pair.client.resume();
    if (paused.down) pair.upstream.pause();
    else pair.upstream.resume();
  };

  const server = createServer((client) => {
    accepted += 1;
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream, dropping: false };
    pairs.add(pair);
    const teardown = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", teardown);
    upstream.on("error", teardown);
    client.on("close", teardown);
    upstream.on("close", teardown);
    client.on("data", (chunk) => {
      if (dropUnclaimed) {
        dropUnclaimed = false;
        pair.dropping = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (pair.dropping) {
        // The request ran; its reply never reaches the client.
        const done = armedDrop;
        armedDrop = undefined;
        teardown();
        done?.();
        return;
      }
      if (replyDelayMs > 0) setTimeout(() => client.write(chunk), replyDelayMs);
      else client.write(chunk);
    });
    applyPause(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");

  return {
    host: "127.0.0.1",
    port: address.port,
    get accepted() {
      return accepted;
    },
    pause(direction) {
      if (direction !== "down") paused.up = true;
      if (direction !== "up") paused.down = true;
      for (const pair of pairs) applyPause(pair);
    },
    resume() {
      paused.up = false;
      paused.down = false;
      for (const pair of pairs) applyPause(pair);
    },
    dropNextReply() {
      return new Promise<void>((resolve) => {
        armedDrop = resolve;
        dropUnclaimed = true;
      });
    },
    delayReplies(ms) {
      replyDelayMs = ms;
    },
    close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
