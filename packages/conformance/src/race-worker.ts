/**
 * A child process of the multi-process race (run as `node dist/race-worker.js`). It builds its own
 * backend from the module the suite was given, waits for the parent's "go" so all workers start
 * together, runs its critical sections through core's lock(), and prints what it saw as JSON.
 */
import { mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { createLock, elect, type LockBackend } from "@syncguard/core";
import {
  RACE_ENV,
  RACE_GO,
  type RaceConfig,
  type RaceMessage,
  type RaceSection,
} from "./race-protocol";

type Factory = () => LockBackend | Promise<LockBackend>;

const send = (message: RaceMessage): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};

/** Wall clock with sub-millisecond resolution, comparable across processes. */
const wallClock = (): number => performance.timeOrigin + performance.now();

function pick(module: Record<string, unknown>, name: string): unknown {
  // An ESM import of a CommonJS module may put its exports under `default`.
  if (module[name] !== undefined) return module[name];
  const fallback = module.default as Record<string, unknown> | undefined;
  return fallback?.[name];
}

/**
 * Claims a free slot in `slotsDir` (mkdir is atomic across processes): its path, `null` when all
 * are taken (too many holders inside), undefined without slots.
 */
function claimSlot(config: RaceConfig): string | null | undefined {
  if (!config.slotsDir) return undefined;
  for (let i = 0; i < (config.permits ?? 1); i++) {
    const slot = join(config.slotsDir, `slot-${i}`);
    try {
      mkdirSync(slot);
      return slot;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return null;
}

function waitForGo(): Promise<void> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: process.stdin });
    lines.on("line", (line) => {
      if (line.trim() !== RACE_GO) return;
      resolve(); // before close(): close emits "close" synchronously
      lines.close();
    });
    lines.on("close", () => reject(new Error("parent closed stdin before go")));
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env[RACE_ENV] ?? "null") as RaceConfig | null;
  if (!config) throw new Error(`${RACE_ENV} is not set: this script is started by the race suite`);
  const module = (await import(pathToFileURL(config.modulePath).href)) as Record<string, unknown>;
  const factory = pick(module, config.exportName);
  if (typeof factory !== "function") {
    throw new Error(
      `${config.modulePath} has no function export ${JSON.stringify(config.exportName)}`,
    );
  }
  const close = pick(module, "close");
  const sections: RaceSection[] = [];
  // core's retry sleeps use unref'd timers: a worker whose only pending work is such a wait
  // would exit mid-race. Keep the process alive until the sections are done.
  const keepAlive = setInterval(() => {}, 60_000);
  try {
    const backend = await (factory as Factory)();
    const lock = createLock(backend);
    send({ type: "ready", pid: process.pid });
    await waitForGo();
    for (let i = 0; i < config.iterations; i++) {
      const calledMs = wallClock();
      const section = (fence: string | undefined) => async () => {
        const enterMs = wallClock();
        const slot = claimSlot(config);
        await new Promise((resolve) => setTimeout(resolve, config.holdMs));
        if (slot) rmdirSync(slot);
        const seen: RaceSection = {
          pid: process.pid,
          enterMs,
          exitMs: wallClock(),
          calledMs,
          returnedMs: 0,
        };
        if (slot === null) seen.overfull = true;
        if (fence !== undefined) seen.fence = fence;
        return seen;
      };
      const options = {
        key: config.key,
        ttlMs: config.ttlMs,
        timeoutMs: config.timeoutMs,
        maxRetries: Number.MAX_SAFE_INTEGER,
        retryDelayMs: 5,
        maxRetryDelayMs: 50,
      };
      let seen: RaceSection | undefined;
      if (config.mode === "semaphore") {
        seen = await lock.semaphore((context) => section(context.fence)(), {
          ...options,
          permits: config.permits ?? 1,
        });
      } else if (config.mode === "election") {
        // One term per section: lead returns after the hold, which ends the election.
        await elect(backend, { key: config.key, ttlMs: config.ttlMs }, async (term) => {
          seen = await section(term.fence)();
        }).done;
      } else {
        seen = await lock((context) => section(context.fence)(), options);
      }
      if (!seen) throw new Error("a section returned without running");
      seen.returnedMs = wallClock();
      sections.push(seen);
    }
    send({ type: "result", pid: process.pid, sections });
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    send({ type: "error", pid: process.pid, message, completed: sections.length });
    process.exitCode = 1;
  } finally {
    clearInterval(keepAlive);
    if (typeof close === "function") await (close as () => unknown)();
  }
  // Exit cleanly; if the backend left a handle open, do not hang the parent forever.
  setTimeout(() => {
    process.stderr.write("race worker: open handles after close(); exiting\n");
    process.exit(process.exitCode ?? 0);
  }, 5_000).unref();
}

main().catch((error: unknown) => {
  send({ type: "error", pid: process.pid, message: String(error), completed: 0 });
  process.exitCode = 1;
});
