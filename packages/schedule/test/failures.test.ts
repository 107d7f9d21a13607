/**
 * Failures of scheduled jobs on a real Redis: a failed slot is reported and never crashes the
 * scheduler's process (croner has no rejection handler of its own), node-cron's failed task is
 * reported failed, not ran, and bad input is refused before any I/O with the option's own name.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import type { LockFunction } from "@syncguard/core";
import { createLock } from "@syncguard/redis";
import { CronJob } from "cron";
import cron from "node-cron";
import { createClient } from "redis";
import { createRunCoordinator, runOnce, type ScheduleEvent } from "../src";
import { recorder, requireEnv, uniqueName } from "./helpers";

const newClient = () => createClient({ url: requireEnv("REDIS_URL") });
let client: ReturnType<typeof newClient>;
let lock: LockFunction;
const logged: { message: string; fields?: Record<string, unknown> }[] = [];
const logger = {
  warn() {},
  error(message: string, fields?: Record<string, unknown>) {
    logged.push({ message, ...(fields === undefined ? {} : { fields }) });
  },
};
const silent = { info() {}, warn() {}, error() {}, debug() {} };

beforeAll(async () => {
  client = newClient();
  await client.connect();
  lock = createLock(client, {
    keyPrefix: `sg-sched-fail-${randomBytes(4).toString("hex")}`,
    logger,
  });
});
afterAll(async () => {
  await lock?.close();
  await client?.quit();
});

interface Line {
  type: string;
  event?: string;
  reason?: string;
  error?: string;
}

/** Runs the croner fixture in a child process until it exits; its lines, exit code and stderr. */
function runCronerChild(scenario: string) {
  return new Promise<{ lines: Line[]; code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, "fixtures/croner-failure.cjs")], {
      env: {
        ...process.env,
        SG_CASE: scenario,
        SG_JOB: uniqueName(`croner-${scenario}`),
        SG_KEY_PREFIX: `sg-sched-child-${randomBytes(4).toString("hex")}`,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`croner child (${scenario}) did not exit: ${stdout} ${stderr}`));
    }, 40_000);
    child.on("close", (code) => {
      clearTimeout(deadline);
      const lines = stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Line);
      resolve({ lines, code, stderr });
    });
  });
}

describe("croner: a failed slot never crashes the process (no unhandled rejection)", () => {
  it("the job throws: failed is reported on every tick, and the process lives on", async () => {
    const { lines, code, stderr } = await runCronerChild("job");
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const failed = lines.filter((l) => l.event === "failed");
    expect(failed.length).toBeGreaterThanOrEqual(2);
    expect(failed[0]!.error).toBe("Error: job failed");
    expect(lines.at(-1)).toEqual({ type: "survived" });
  }, 60_000);

  it("the store goes away: failed is reported on every tick, and the process lives on", async () => {
    const { lines, code, stderr } = await runCronerChild("store");
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(lines.filter((l) => l.event === "failed").length).toBeGreaterThanOrEqual(2);
    expect(lines.at(-1)).toEqual({ type: "survived" });
  }, 60_000);

  it('shutdown with overlap "queue": a slot waiting when lock.close() is called is missed (closed), not a crash', async () => {
    const { lines, code, stderr } = await runCronerChild("shutdown");
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(lines.filter((l) => l.event === "failed")).toEqual([]);
    expect(lines.filter((l) => l.event === "ran")).toHaveLength(1);
    expect(
      lines.filter((l) => l.event === "missed" && l.reason === "closed").length,
    ).toBeGreaterThan(0);
    expect(lines.at(-1)).toEqual({ type: "survived" });
  }, 60_000);
});

it("a failed job without onEvent is logged (error) through the lock function's logger, and the tick resolves", async () => {
  const name = uniqueName("logged");
  const boom = new Error("job failed quietly");
  logged.length = 0;
  await expect(
    runOnce(lock, { name, ttlMs: 3_000 }, () => {
      throw boom;
    })(new Date()),
  ).resolves.toBeUndefined();
  expect(logged).toHaveLength(1);
  expect(logged[0]!.message).toContain(JSON.stringify(name));
  expect(logged[0]!.message).toContain("job failed quietly");
  expect(logged[0]!.fields?.error).toBe(boom);
});

it("node-cron: a task that throws is reported failed with its error, never ran", async () => {
  const name = uniqueName("nc-failed");
  const seen = recorder();
  const boom = new Error("nc job failed");
  const coordinator = createRunCoordinator(lock, { onEvent: seen.onEvent });
  const task = cron.schedule(
    "* * * * * *",
    coordinator.task(async () => {
      throw boom;
    }),
    {
      name,
      distributed: true,
      runCoordinator: coordinator,
      distributedLease: 3_000,
      logger: silent,
    },
  );
  const outcome = (e: ScheduleEvent) => e.type === "ran" || e.type === "failed";
  const deadline = performance.now() + 10_000;
  while (!seen.events.some(outcome) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await task.destroy();
  expect(seen.of("ran")).toEqual([]);
  expect(seen.of("failed")[0]).toMatchObject({ type: "failed", name, error: boom });
});

it("tick(invalid Date) rejects with InvalidArgument before any I/O", async () => {
  const name = uniqueName("bad-date");
  let ran = 0;
  const tick = runOnce(lock, { name, ttlMs: 3_000 }, () => {
    ran++;
  });
  await expect(tick(new Date("nope"))).rejects.toMatchObject({
    name: "LockError",
    code: "InvalidArgument",
    message: expect.stringContaining("invalid Date"),
  });
  expect(ran).toBe(0);
  expect(await client.keys(`*${name}*`)).toEqual([]);
});

it('node-cron: a bad distributedLease ("30s") is refused naming distributedLease and the task, before any I/O', async () => {
  const name = uniqueName("nc-lease");
  const coordinator = createRunCoordinator(lock);
  await expect(
    coordinator.shouldRun(`${name}:2030-01-01T00:00:00.000Z`, "30s" as never),
  ).rejects.toMatchObject({
    code: "InvalidArgument",
    message: expect.stringMatching(
      new RegExp(
        `node-cron task "${name}": distributedLease must be a positive integer of milliseconds.*"30s"`,
      ),
    ),
  });
  expect(await client.keys(`*${name}*`)).toEqual([]);
});

it("cron (kelektiv): a job that throws is reported failed to onEvent; the tick resolves, so cron's errorHandler sees nothing", async () => {
  const name = uniqueName("cron-failed");
  const seen = recorder();
  const boom = new Error("cron job failed");
  const handled: unknown[] = [];
  const job = CronJob.from({
    cronTime: "* * * * * *",
    onTick: runOnce(lock, { name, ttlMs: 3_000, onEvent: seen.onEvent }, () => {
      throw boom;
    }),
    errorHandler: (error: unknown) => handled.push(error),
    start: true,
  });
  const deadline = performance.now() + 10_000;
  while (seen.events.length === 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await job.stop();
  expect(seen.events[0]).toMatchObject({ type: "failed", name, error: boom });
  expect(handled).toEqual([]);
});

it("a trigger after lock.close() resolves and reports nothing: a shutdown is not a failure", async () => {
  const quiet: string[] = [];
  const closed = createLock(client, {
    keyPrefix: `sg-sched-closed-${randomBytes(4).toString("hex")}`,
    logger: { warn: (m: string) => quiet.push(m), error: (m: string) => quiet.push(m) },
  });
  await closed.close();
  const seen = recorder();
  let ran = 0;
  const tick = runOnce(
    closed,
    { name: uniqueName("closed"), ttlMs: 3_000, onEvent: seen.onEvent },
    () => {
      ran++;
    },
  );
  await expect(tick(new Date())).resolves.toBeUndefined();
  const silentTick = runOnce(closed, { name: uniqueName("closed"), ttlMs: 3_000 }, () => {
    ran++;
  });
  await expect(silentTick(new Date())).resolves.toBeUndefined();
  expect({ ran, events: seen.events, logged: quiet }).toEqual({ ran: 0, events: [], logged: [] });
});
