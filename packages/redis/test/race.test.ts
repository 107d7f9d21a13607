import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { connectTarget, MODES, type Mode, type Target, uniqueKey } from "./helpers/services";

const PROCESSES = 16;
const ITERATIONS = 100;
const WORKER = join(__dirname, "fixtures", "race-worker.js");
const DIST = join(__dirname, "..", "dist", "index.js");

interface WorkerReport {
  done: number;
  p50: number;
  max: number;
}

function runWorker(env: Record<string, string>): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    // "close", not "exit": under load the child's last stdout chunk can arrive after its exit.
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`worker exited ${code}: ${err}`));
        return;
      }
      try {
        resolve(JSON.parse(out.trim()) as WorkerReport);
      } catch {
        reject(new Error(`worker exited 0 without its report: ${JSON.stringify(out)} ${err}`));
      }
    });
  });
}

describe.each(MODES)("multi-process race (%s)", (mode: Mode) => {
  let target: Target;
  beforeAll(async () => {
    if (!existsSync(DIST)) {
      throw new Error("dist/ is missing: build first (pnpm test from the repo root builds it)");
    }
    target = await connectTarget(mode);
  });
  afterAll(async () => {
    await target?.close();
  });

  it(`${PROCESSES} processes x ${ITERATIONS} critical sections: no overlap, exact counter, rising fences`, async () => {
    const key = uniqueKey("race");
    // One hash tag keeps the bookkeeping keys on one node; they are plain commands anyway.
    const state = `sgrace:{${key}}`;
    const started = Date.now();
    const reports = await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        runWorker({
          SYNCGUARD_REDIS_MODE: mode,
          SG_KEY: key,
          SG_STATE: state,
          SG_ITERATIONS: String(ITERATIONS),
          SG_PREFIX: "sgrace",
        }),
      ),
    );
    const elapsedMs = Date.now() - started;
    const total = PROCESSES * ITERATIONS;
    expect(reports.reduce((sum, r) => sum + r.done, 0)).toBe(total);
    expect(await target.client.get(`${state}:overlaps`)).toBeNull();
    expect(await target.client.get(`${state}:counter`)).toBe(String(total));
    const fences = await target.client.lRange(`${state}:fences`, 0, -1);
    expect(fences).toHaveLength(total);
    const rising = fences.every((fence, i) => i === 0 || fence > (fences[i - 1] as string));
    expect(rising).toBe(true);
    const worstWait = Math.max(...reports.map((r) => r.max));
    process.stdout.write(
      `race ${mode}: ${total} sections in ${elapsedMs} ms (${Math.round((total / elapsedMs) * 1000)}/s), worst wait ${worstWait} ms\n`,
    );
  }, 180_000);
});
