import { connect, type Socket } from "node:net";

/** Where a node-postgres session lives and the key that lets another connection cancel it. */
export interface CancelTarget {
  readonly host: string;
  readonly port: number;
  readonly processID: number;
  readonly secretKey: number;
}

/** The protocol's CancelRequest code: 1234 in the high 16 bits, 5678 in the low. */
const CANCEL_REQUEST_CODE = 80877102;

/** The cancel key of a connected node-postgres client, if it exposes one. */
export function cancelTargetOf(connection: object): CancelTarget | undefined {
  const { host, port, processID, secretKey } = connection as Partial<Record<string, unknown>>;
  if (typeof host !== "string" || host === "") return undefined;
  if (typeof port !== "number" || !Number.isInteger(port)) return undefined;
  if (!Number.isInteger(processID) || !Number.isInteger(secretKey)) return undefined;
  return { host, port, processID: processID as number, secretKey: secretKey as number };
}

/**
 * PostgreSQL's cancel request: a short connection of its own that sends the session's process id
 * and secret key; the server interrupts whatever that session is running (a statement waiting
 * on a row lock ends at once, rolled back) and closes the connection without a reply. A session
 * that is idle ignores it. Cancel requests are read before TLS and authentication are required,
 * so a plain connection is enough. Resolves true once the server closed the connection, false on
 * any failure or after `timeoutMs`; never rejects.
 */
export function sendCancelRequest(target: CancelTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const packet = Buffer.alloc(16);
    packet.writeInt32BE(16, 0);
    packet.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    packet.writeInt32BE(target.processID, 8);
    packet.writeInt32BE(target.secretKey, 12);
    // A host starting with "/" is the directory of the server's Unix socket.
    const socket: Socket = target.host.startsWith("/")
      ? connect(`${target.host}/.s.PGSQL.${target.port}`)
      : connect(target.port, target.host);
    let sent = false;
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    timer.unref?.();
    socket.once("connect", () => {
      sent = true;
      socket.end(packet);
    });
    socket.on("data", () => {}); // the server sends nothing; never let data stall the close
    socket.once("error", () => finish(false));
    socket.once("close", () => finish(sent));
  });
}
