import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { compareFence } from "@syncguard/core/driver";
import type { SuiteContext } from "../context";
import { uniqueKey } from "../helpers";
import type { WorkerFactory } from "../options";
import {
  RACE_ENV,
  RACE_GO,
  type RaceConfig,
  type RaceMessage,
  type RaceSection,
} from "../race-protocol";

/**
 * Cross-process wall clocks come from each process's performance.timeOrigin, which is only as
 * precise as the system clock reading at process start: allow this much apparent overlap.
 */
export const CLOCK_SLACK_MS = 2;

/**
 * The compiled worker: next to the bundle in dist (published layout), one level up (per-file
 * output), or in dist when the suite runs from source.
 */
function workerScript(): string {
  const candidates = [
    resolve(__dirname, "race-worker.js"),
    resolve(__dirname, "../race-worker.js"),
    resolve(__dirname, "../../dist/race-worker.js"),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found)
    throw new Error(
      `race worker not found (${candidates.join(", ")}): build @syncguard/conformance`,
    );
  return found;
}

interface Child {
  process: ChildProcess;
  ready: Promise<void>;
  done: Promise<RaceMessage>;
  stderr: string[];
}

function startChild(config: RaceConfig, env: Record<string, string>): Child {
  const child = spawn(process.execPath, [workerScript()], {
    env: { ...process.env, ...env, [RACE_ENV]: JSON.stringify(config) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  let onReady: () => void = () => {};
  const ready = new Promise<void>((resolveReady) => {
    onReady = resolveReady;
  });
  const done = new Promise<RaceMessage>((resolveDone, reject) => {
    let last: RaceMessage | undefined;
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      if (!line.startsWith("{")) return; // a backend may log to stdout
      const message = JSON.parse(line) as RaceMessage;
      if (message.type === "ready") onReady();
      else last = message;
    });
    child.on("error", reject);
    // "close", not "exit": only then has all of stdout been read.
    child.on("close", (code) => {
      onReady(); // unblock the barrier; the missing result is reported below
      if (last) resolveDone(last);
      else
        reject(
          new Error(
            `race worker exited with ${code} and no result: ${stderr.join("").slice(-2000)}`,
          ),
        );
    });
  });
  return { process: child, ready, done, stderr };
}

/**
 * Starts `processes` race workers with `config`, lets them go together, and returns every
 * section they ran, ordered by entry time. A worker that failed fails the race.
 */
export async function raceInProcesses(
  worker: WorkerFactory,
  processes: number,
  config: RaceConfig,
): Promise<RaceSection[]> {
  const children = Array.from({ length: processes }, () => startChild(config, worker.env ?? {}));
  try {
    await Promise.all(children.map((child) => child.ready));
    for (const child of children) child.process.stdin?.end(`${RACE_GO}\n`);
    const results = await Promise.all(children.map((child) => child.done));
    const sections: RaceSection[] = [];
    for (const result of results) {
      if (result.type === "error") {
        assert.fail(
          `worker ${result.pid} failed after ${result.completed} sections: ${result.message}`,
        );
      }
      if (result.type === "result") sections.push(...result.sections);
    }
    return sections.sort((a, b) => a.enterMs - b.enterMs);
  } finally {
    // Only our own children, by pid, and only if still running.
    for (const child of children) if (child.process.exitCode === null) child.process.kill();
  }
}

export function raceSuite(ctx: SuiteContext): void {
  const { worker } = ctx.options;
  if (!worker) {
    ctx.skip(
      "race.exclusion",
      "critical sections in separate processes never overlap",
      "options.worker not given: child processes cannot build this backend (process-local?)",
    );
    return;
  }
  const processes = ctx.options.race?.processes ?? 4;
  const iterations = ctx.options.race?.iterations ?? 25;
  let race: Promise<RaceSection[]> | undefined;

  /** Runs the race once; both tests read its outcome. */
  const runRace = (): Promise<RaceSection[]> => {
    race ??= raceInProcesses(worker, processes, {
      modulePath: worker.modulePath,
      exportName: worker.exportName ?? "createBackend",
      key: uniqueKey("race"),
      iterations,
      ttlMs: ctx.ms(10_000),
      timeoutMs: ctx.ms(60_000 + processes * iterations * 200),
      holdMs: 5,
    });
    return race;
  };
  const timeoutMs = 120_000 + processes * iterations * 500;

  ctx.test(
    "race.exclusion",
    `${processes} processes x ${iterations} sections on one key never overlap`,
    async () => {
      const sections = await runRace();
      assert.equal(sections.length, processes * iterations, "not every critical section completed");
      for (let i = 1; i < sections.length; i++) {
        const previous = sections[i - 1] as RaceSection;
        const current = sections[i] as RaceSection;
        assert.ok(
          current.enterMs >= previous.exitMs - CLOCK_SLACK_MS,
          `pid ${current.pid} entered ${(previous.exitMs - current.enterMs).toFixed(2)} ms before pid ${previous.pid} left`,
        );
      }
    },
    { timeoutMs },
  );

  ctx.test(
    "race.fence-order",
    "sections ordered by entry time have strictly increasing fences",
    async () => {
      const sections = await runRace();
      if (!ctx.fencing) return;
      for (let i = 1; i < sections.length; i++) {
        const previous = (sections[i - 1] as RaceSection).fence;
        const current = (sections[i] as RaceSection).fence;
        assert.ok(previous && current, "a fencing backend must give every section a fence");
        assert.ok(
          compareFence(current, previous) > 0,
          `fence ${current} entered after ${previous}`,
        );
      }
    },
    { timeoutMs },
  );
}
