/**
 * Worker processes: spawn (with IPC), wait for their messages with a deadline, kill them, and
 * record each one's death in the ledger so a section it had open ends there. Every worker
 * spawned is killed by `killAllWorkers()` (call it in afterAll).
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import type { SectionLog } from "../workers/section-log";
import { monoMs } from "./timing";

export const WORKERS_DIR = join(__dirname, "..", "workers");
/** Preload that lets a test shift a worker's wall clock (Date) and step it at runtime. */
export const CLOCK_SHIM = join(WORKERS_DIR, "clock-shim.js");

export type WorkerMessage = { type: string } & Record<string, unknown>;

export interface WorkerOptions {
  /** File name under workers/. */
  script: string;
  /** JSON-serialisable configuration, passed as the first argument. */
  config: unknown;
  /** Death of the worker closes its open sections in this ledger. */
  ledger?: SectionLog;
  /** Wall-clock offset in ms applied through the clock shim (0 = shim loaded, no offset). */
  clockOffsetMs?: number;
  execArgv?: string[];
  label?: string;
}

const OUTPUT_TAIL_CHARS = 4000;
const live = new Set<WorkerProcess>();

export class WorkerProcess {
  readonly label: string;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #queue: WorkerMessage[] = [];
  #waiters = new Set<() => void>();
  #output = "";
  #exitedFlag = false;

  constructor(options: WorkerOptions) {
    this.label = options.label ?? options.script;
    const execArgv = [...(options.execArgv ?? [])];
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (options.clockOffsetMs !== undefined) {
      execArgv.push("--require", CLOCK_SHIM);
      env.SYNCGUARD_FAULTS_CLOCK_OFFSET_MS = String(options.clockOffsetMs);
    }
    this.child = fork(join(WORKERS_DIR, options.script), [JSON.stringify(options.config)], {
      execArgv,
      env,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
    };
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
    this.child.on("message", (message) => {
      this.#queue.push(message as WorkerMessage);
      for (const wake of this.#waiters) wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        // Recorded when the exit is observed: never earlier than the real death.
        options.ledger?.death(this.pid);
        this.#exitedFlag = true;
        live.delete(this);
        for (const wake of this.#waiters) wake();
        resolve({ code, signal });
      });
    });
    live.add(this);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.#exitedFlag;
  }

  /** The last few KB the worker printed, for failure messages. */
  get output(): string {
    return this.#output;
  }

  send(message: WorkerMessage): void {
    if (!this.#exitedFlag && this.child.connected) this.child.send(message);
  }

  /** Takes the first queued or future message accepted by `match`; rejects after `timeoutMs`. */
  next(
    match: (message: WorkerMessage) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<WorkerMessage> {
    const start = monoMs();
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.#queue.findIndex(match);
        if (index >= 0) {
          done();
          resolve(this.#queue.splice(index, 1)[0]!);
        } else if (this.#exitedFlag) {
          done();
          reject(
            new Error(`${this.label} exited while waiting for ${what}; output:\n${this.output}`),
          );
        } else if (monoMs() - start > timeoutMs) {
          done();
          reject(
            new Error(`${this.label}: no ${what} within ${timeoutMs} ms; output:\n${this.output}`),
          );
        }
      };
      const timer = setTimeout(check, timeoutMs + 1);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits for a message of `type` (and `id`, when given). */
  expect(type: string, timeoutMs: number, id?: string): Promise<WorkerMessage> {
    return this.next(
      (m) => m.type === type && (id === undefined || m.id === id),
      timeoutMs,
      `"${type}"${id ? ` for ${id}` : ""}`,
    );
  }

  /**
   * Waits until a `lock` command `id` entered its section; throws with lock()'s error if it
   * settled without entering.
   */
  async entered(id: string, timeoutMs: number): Promise<WorkerMessage> {
    const message = await this.next(
      (m) => (m.type === "entered" || m.type === "settled") && m.id === id,
      timeoutMs,
      `"entered" for ${id}`,
    );
    if (message.type === "settled") {
      throw new Error(
        `${this.label}: lock ${id} settled without entering: ${message.code} ${message.message}`,
      );
    }
    return message;
  }

  /** Sends a signal and, for a fatal one, resolves once the process is gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (this.#exitedFlag) return;
    this.child.kill(signal);
    if (signal !== "SIGSTOP" && signal !== "SIGCONT") await this.exited;
  }
}

/** Spawns a worker and waits until it reports `ready` (connected to its backend). */
export async function spawnWorker(options: WorkerOptions, readyTimeoutMs = 20_000) {
  const worker = new WorkerProcess(options);
  await worker.expect("ready", readyTimeoutMs);
  return worker;
}

/** SIGKILLs every worker still alive. */
export async function killAllWorkers(): Promise<void> {
  await Promise.all([...live].map((worker) => worker.kill("SIGKILL")));
}
