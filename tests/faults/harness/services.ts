/**
 * Private servers for destructive scenarios (kill, freeze, restart), started through
 * scripts/services.mjs in a helper process (harness/service-host.mjs) on free loopback ports.
 * The shared services from the environment are never touched by these.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";

interface Described {
  id: number;
  pid: number;
  port: number;
  url?: string;
  host?: string;
  logFile: string;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

/** A server process this test file owns. `pid` follows restarts. */
export class PrivateServer {
  #host: ServiceHost;
  #state: Described;

  constructor(host: ServiceHost, state: Described) {
    this.#host = host;
    this.#state = state;
  }

  get pid(): number {
    return this.#state.pid;
  }
  get port(): number {
    return this.#state.port;
  }
  /** redis://127.0.0.1:P for Redis, 127.0.0.1:P for the emulator, postgres://… for PostgreSQL. */
  get address(): string {
    return this.#state.url ?? this.#state.host ?? `127.0.0.1:${this.#state.port}`;
  }
  get logFile(): string {
    return this.#state.logFile;
  }

  /** SIGKILL; resolves once the process is gone (the port is then closed). */
  async kill(): Promise<void> {
    this.#state = (await this.#host.call("kill", { id: this.#state.id })) as Described;
  }
  /** Starts it again on the same port (Redis: same dir, so an AOF is replayed). */
  async restart(): Promise<void> {
    this.#state = (await this.#host.call("restart", { id: this.#state.id })) as Described;
  }
  /** SIGSTOP: the process keeps its sockets but answers nothing. */
  freeze(): void {
    process.kill(this.pid, "SIGSTOP");
  }
  /** SIGCONT; safe to call when not frozen or already gone. */
  thaw(): void {
    try {
      process.kill(this.pid, "SIGCONT");
    } catch {
      // already gone
    }
  }
  /** Sends `signal` through the server's handle (PostgreSQL: to every backend as well). */
  async signal(signal: NodeJS.Signals): Promise<void> {
    this.#state = (await this.#host.call("signal", { id: this.#state.id, signal })) as Described;
  }
  async stop(): Promise<void> {
    this.thaw();
    await this.#host.call("stop", { id: this.#state.id });
  }
}

export class ServiceHost {
  #child: ChildProcess;
  #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #nextId = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on("message", (message: Reply) => {
      const waiter = this.#pending.get(message.id);
      if (!waiter) return;
      this.#pending.delete(message.id);
      if (message.ok) waiter.resolve(message.value);
      else waiter.reject(new Error(message.error));
    });
    child.on("exit", () => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error("service host exited"));
      this.#pending.clear();
    });
  }

  static async start(): Promise<ServiceHost> {
    const child = fork(join(__dirname, "service-host.mjs"), [], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: [],
    });
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`service host exited (code ${code})`)));
    });
    return new ServiceHost(child);
  }

  /** @internal */
  call(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, op, args });
    });
  }

  /** A redis-server of our own; `appendOnly` turns on AOF with fsync on every write. */
  async redis(options: { appendOnly?: boolean } = {}): Promise<PrivateServer> {
    return new PrivateServer(this, (await this.call("startRedis", options)) as Described);
  }

  /**
   * A PostgreSQL of our own (`address` is its postgres:// URL). Freeze and thaw it with
   * `signal()`: SIGSTOP on the postmaster alone would leave its backends answering.
   */
  async postgres(): Promise<PrivateServer> {
    return new PrivateServer(this, (await this.call("startPostgres", {})) as Described);
  }

  /** A Firestore emulator of our own (data in memory only). */
  async firestore(): Promise<PrivateServer> {
    return new PrivateServer(this, (await this.call("startFirestore", {})) as Described);
  }

  /** Stops every server and ends the host process. */
  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    try {
      await this.call("stopAll");
    } finally {
      this.#child.disconnect();
      await exited;
    }
  }
}
