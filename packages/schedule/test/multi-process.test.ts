/**
 * Four processes run the same job every second for 20 slots, on a real Redis and a real
 * PostgreSQL: one with node-cron 4 (the run coordinator), two with croner, one with cron, their
 * clocks 480 ms behind to 480 ms ahead of each other (up to 960 ms apart, inside the 1 s
 * tolerance). Runs queue behind each other (`overlap: "queue"`). The runner of the 13th slot is
 * killed (SIGKILL) mid-run. Each slot must run exactly once, the killed one never a second time.
 * The slots the killed process had claimed and queued behind its own run are lost with it, never
 * run twice: such a slot was reported skipped by every other process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { setupSchema } from "@syncguard/postgres";
import { Pool } from "pg";
import { requireEnv } from "./helpers";

const SLOTS = 20;
const KILL_INDEX = 12;
const WORKERS = [
  { scheduler: "node-cron", skewMs: 0 },
  { scheduler: "croner", skewMs: 480 },
  { scheduler: "cron", skewMs: -480 },
  { scheduler: "croner", skewMs: 200 },
];

interface Line {
  w: string;
  type: string;
  slot?: number;
  fence?: string;
  at?: number;
  event?: string;
  reason?: string;
  error?: string;
}

function startWorker(index: number, env: Record<string, string>, lines: Line[]): ChildProcess {
  const { scheduler, skewMs } = WORKERS[index]!;
  const child = spawn(
    process.execPath,
    [
      "--require",
      path.join(__dirname, "fixtures/skew-clock.cjs"),
      path.join(__dirname, "fixtures/worker.cjs"),
    ],
    {
      env: {
        ...process.env,
        ...env,
        SG_WORKER: String(index),
        SG_SCHEDULER: scheduler,
        SG_SKEW_MS: String(skewMs),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop() ?? "";
    for (const part of parts) {
      if (part.startsWith("{")) lines.push(JSON.parse(part) as Line);
    }
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // "close", not "exit": a child's last output can arrive after its exit event.
  child.on("close", (code, signal) => {
    lines.push({
      w: String(index),
      type: "exit",
      reason: `${code ?? signal}`,
      error: stderr.slice(-2000),
    });
  });
  return child;
}

async function runSchedule(storeEnv: Record<string, string>) {
  const firstSlot = Math.ceil((Date.now() + 2500) / 1000) * 1000;
  const killSlot = firstSlot + KILL_INDEX * 1000;
  const lines: Line[] = [];
  const env = {
    ...storeEnv,
    SG_JOB: `multi-${randomBytes(4).toString("hex")}`,
    SG_FIRST_SLOT: String(firstSlot),
    SG_SLOTS: String(SLOTS),
    SG_KILL_SLOT: String(killSlot),
  };
  const children = WORKERS.map((_, i) => startWorker(i, env, lines));
  let killed: string | undefined;
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error("workers did not finish in time")), 60_000);
    const poll = setInterval(() => {
      const started = lines.find((l) => l.type === "start" && l.slot === killSlot);
      if (started && killed === undefined) {
        killed = started.w;
        children[Number(started.w)]!.kill("SIGKILL");
      }
      if (lines.filter((l) => l.type === "exit").length === WORKERS.length) {
        clearTimeout(deadline);
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
  return { lines, firstSlot, killSlot, killed };
}

/**
 * cron (kelektiv) warns on stderr when its timer fires late on a loaded machine and it still
 * fires the tick ("... Executing immediately."): the scheduler's own notice, not an error here.
 */
const withoutTimerNotices = (stderr: string): string =>
  stderr
    .split("\n")
    .filter(
      (line) =>
        !/^\[Cron\] Missed execution deadline by \d+ms .*Executing immediately\.$/.test(line),
    )
    .join("\n");

function check({ lines, firstSlot, killSlot, killed }: Awaited<ReturnType<typeof runSchedule>>) {
  // Every worker but the killed one ran to its end without an error.
  const exits = lines.filter((l) => l.type === "exit");
  expect(killed).toBeDefined();
  for (const exit of exits) {
    if (exit.w === killed) expect(exit.reason).toBe("SIGKILL");
    else
      expect({ w: exit.w, exit: exit.reason, stderr: withoutTimerNotices(exit.error!) }).toEqual({
        w: exit.w,
        exit: "0",
        stderr: "",
      });
  }
  expect(lines.filter((l) => l.type === "error")).toEqual([]);
  const live = ["0", "1", "2", "3"].filter((w) => w !== killed);
  // On a loaded machine a process can be ready only after the first slots: those ran at most
  // once but were not contested by every process, so the checks start after the last was ready
  // (plus the widest clock skew). The killed slot must still be among them.
  const lastReady = Math.max(...lines.filter((l) => l.type === "ready").map((l) => l.at!));
  const scheduled = Array.from({ length: SLOTS }, (_, i) => firstSlot + i * 1000);
  const slots = scheduled.filter((slot) => slot >= lastReady + 1000);
  expect(slots[0]).toBeLessThan(killSlot);
  for (const slot of scheduled.filter((slot) => slot < lastReady + 1000)) {
    expect(lines.filter((l) => l.type === "start" && l.slot === slot).length).toBeLessThanOrEqual(
      1,
    );
  }
  const starts = (slot: number) => lines.filter((l) => l.type === "start" && l.slot === slot);
  const events = (slot: number, event: string) =>
    lines.filter((l) => l.type === "event" && l.slot === slot && l.event === event);
  const lost: number[] = [];
  for (const slot of slots) {
    const runs = starts(slot);
    if (runs.length === 1) continue;
    // Never twice; a slot nobody ran was claimed by the killed process after its last report
    // (every live process saw it claimed: skipped), and nobody reported it missed or late.
    expect({ slot: slot - firstSlot, runs: runs.length }).toEqual({
      slot: slot - firstSlot,
      runs: 0,
    });
    expect(slot).toBeGreaterThan(killSlot);
    expect(
      events(slot, "skipped")
        .map((l) => l.w)
        .sort(),
    ).toEqual(live);
    expect([...events(slot, "missed"), ...events(slot, "late")]).toEqual([]);
    lost.push(slot);
  }
  // The killed run started once, in the killed process, and never again.
  expect(starts(killSlot).map((l) => l.w)).toEqual([killed]);
  // Runs never overlapped, and their fences rise in the order they started (real time).
  const runs = lines
    .filter((l) => l.type === "start" && l.slot! >= firstSlot && l.slot! < firstSlot + SLOTS * 1000)
    .sort((a, b) => a.at! - b.at!);
  for (let i = 1; i < runs.length; i++) {
    expect(BigInt(runs[i]!.fence!)).toBeGreaterThan(BigInt(runs[i - 1]!.fence!));
    const previousEnd = lines.find((l) => l.type === "end" && l.slot === runs[i - 1]!.slot);
    if (previousEnd) expect(runs[i]!.at!).toBeGreaterThanOrEqual(previousEnd.at!);
  }
  // Until the kill, every other process triggered each slot too and found it claimed (or came
  // late): the claims were contested, not won by default.
  for (const slot of slots.filter((slot) => slot <= killSlot)) {
    const runner = starts(slot)[0]!.w;
    const others = [...events(slot, "skipped"), ...events(slot, "late")].map((l) => l.w);
    expect(others.sort()).toEqual(["0", "1", "2", "3"].filter((w) => w !== runner));
  }
  return { lost, ran: runs.length };
}

jest.setTimeout(90_000);

it.concurrent("Redis: 4 processes, 20 slots, clocks up to 960 ms apart, one runner killed mid-run: each slot runs once", async () => {
  const result = await runSchedule({
    SG_STORE: "redis",
    REDIS_URL: requireEnv("REDIS_URL"),
    SG_KEY_PREFIX: `sg-schedule-${randomBytes(4).toString("hex")}`,
  });
  const { lost, ran } = check(result);
  process.stdout.write(
    `[schedule] redis: ${ran} runs, slots lost with the killed process: ${lost.length}\n`,
  );
});

it.concurrent("PostgreSQL: 4 processes, 20 slots, clocks up to 960 ms apart, one runner killed mid-run: each slot runs once", async () => {
  const url = requireEnv("SYNCGUARD_POSTGRES_URL");
  const schema = `sg_schedule_${randomBytes(4).toString("hex")}`;
  const pool = new Pool({ connectionString: url });
  try {
    await setupSchema(pool, { schema });
    const result = await runSchedule({
      SG_STORE: "postgres",
      SYNCGUARD_POSTGRES_URL: url,
      SG_SCHEMA: schema,
    });
    const { lost, ran } = check(result);
    process.stdout.write(
      `[schedule] postgres: ${ran} runs, slots lost with the killed process: ${lost.length}\n`,
    );
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
});
