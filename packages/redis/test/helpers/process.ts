import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";

/** A loopback port nothing listens on (at the moment of asking). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

export interface RedisProcess {
  port: number;
  /** Sends the server a signal: SIGSTOP freezes it (connections stay open, nothing answers), SIGCONT wakes it. */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** Starts a throwaway redis-server (foreground, so it dies with us) and waits until it answers. */
export async function startRedis(extraArgs: string[], password?: string): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "syncguard-redis-"));
  const child: ChildProcess = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      ...extraArgs,
    ],
    { stdio: "ignore" },
  );
  const url = password
    ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}`
    : `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = createClient({ url, socket: { reconnectStrategy: false } });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.destroy();
      break;
    } catch {
      probe.destroy();
      if (Date.now() > deadline) throw new Error("redis-server did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    port,
    signal: (signal) => {
      child.kill(signal);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGCONT"); // a frozen server handles SIGTERM only once it runs again
        child.kill("SIGTERM");
      }),
  };
}

/** Polls until a client has noticed its server is gone (it is then reconnecting). */
export async function waitUntilNotReady(client: { isReady: boolean }, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (client.isReady) {
    if (Date.now() > deadline) throw new Error("the client still reports ready");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A server that wants a password, with a user `limited` who may connect but not run scripts. */
export const SCRIPTLESS_USER = { name: "limited", password: "limited-pw" } as const;

export async function startRedisWithScriptlessUser(password: string): Promise<RedisProcess> {
  const server = await startRedis(["--requirepass", password], password);
  const admin = createClient({ url: `redis://:${password}@127.0.0.1:${server.port}` });
  await admin.connect();
  const { name, password: userPassword } = SCRIPTLESS_USER;
  await admin.sendCommand([
    "ACL",
    "SETUSER",
    name,
    "on",
    `>${userPassword}`,
    "~*",
    "+@all",
    "-evalsha",
    "-eval",
  ]);
  admin.destroy();
  return server;
}
