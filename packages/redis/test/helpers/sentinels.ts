import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "redis";
import { freePort } from "./process";
import { waitFor } from "./services";

/** A redis-sentinel (the redis-server binary in sentinel mode) watching one primary. */
export interface Sentinel {
  port: number;
  stop(): Promise<void>;
}

/** Short failure detection and failover, so a failover test takes seconds. */
export interface SentinelTiming {
  downAfterMs: number;
  failoverTimeoutMs: number;
}

async function sentinelCommand(port: number, args: string[]): Promise<unknown> {
  const probe = createClient({
    url: `redis://127.0.0.1:${port}`,
    socket: { reconnectStrategy: false },
  });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return await probe.sendCommand(args);
  } finally {
    if (probe.isOpen) probe.destroy();
  }
}

/** `SENTINEL MASTER name` as a field map (a flat array in RESP2, a map in RESP3). */
export async function sentinelView(port: number, name: string): Promise<Map<string, string>> {
  const reply = await sentinelCommand(port, ["SENTINEL", "MASTER", name]);
  const fields = new Map<string, string>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2)
      fields.set(String(reply[i]), String(reply[i + 1]));
  } else if (typeof reply === "object" && reply !== null) {
    for (const [field, value] of Object.entries(reply)) fields.set(field, String(value));
  }
  return fields;
}

/** The port of the primary the sentinel names now. */
export async function primaryPortSeenBy(port: number, name: string): Promise<number | undefined> {
  const address = await sentinelCommand(port, ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", name]);
  return Array.isArray(address) ? Number(address[1]) : undefined;
}

export async function startSentinel(
  name: string,
  primaryPort: number,
  quorum: number,
  timing?: SentinelTiming,
): Promise<Sentinel> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "syncguard-sentinel-"));
  const config = join(dir, "sentinel.conf");
  // Sentinel rewrites its config file, so it must be a writable file of its own.
  writeFileSync(
    config,
    [
      `port ${port}`,
      "bind 127.0.0.1",
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${primaryPort} ${quorum}`,
      ...(timing
        ? [
            `sentinel down-after-milliseconds ${name} ${timing.downAfterMs}`,
            `sentinel failover-timeout ${name} ${timing.failoverTimeoutMs}`,
            `sentinel parallel-syncs ${name} 1`,
          ]
        : []),
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn("redis-server", [config, "--sentinel"], { stdio: "ignore" });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  try {
    await waitFor(async () => {
      try {
        return (await primaryPortSeenBy(port, name)) === primaryPort;
      } catch {
        return false;
      }
    }, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, stop };
}

/**
 * `count` sentinels watching `primaryPort` with the given quorum, returned once each knows the
 * others and `replicas` replicas (sentinels find each other through hello messages, every 2 s).
 */
export async function startSentinels(
  name: string,
  primaryPort: number,
  count: number,
  quorum: number,
  replicas: number,
  timing: SentinelTiming,
): Promise<Sentinel[]> {
  const sentinels: Sentinel[] = [];
  try {
    for (let i = 0; i < count; i++) {
      sentinels.push(await startSentinel(name, primaryPort, quorum, timing));
    }
    await waitFor(async () => {
      for (const sentinel of sentinels) {
        const view = await sentinelView(sentinel.port, name);
        if (Number(view.get("num-other-sentinels")) !== count - 1) return false;
        if (Number(view.get("num-slaves")) !== replicas) return false;
      }
      return true;
    }, 20_000);
  } catch (error) {
    await Promise.all(sentinels.map((sentinel) => sentinel.stop()));
    throw error;
  }
  return sentinels;
}
