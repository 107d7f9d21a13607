/**
 * SyncGuard race demo: worker processes race to charge the same pending payments, first without a
 * lock (some cards are charged twice), then with `lock()` (each charged exactly once), then a
 * stale holder whose late write is rejected by its fence.
 *
 *   npm run demo -- [--backend redis|firestore|postgres|memory] [--workers N] [--jobs N]
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { acquire, createLock, type LockBackend } from "@syncguard/core";
import { type BackendName, openBackend, runNamespace } from "./backends";
import { Ledger, type LedgerApi } from "./ledger";
import { chooseBackend } from "./services";
import { runWorker, type WorkReport, workOrder } from "./worker";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const red = (s: string) => (process.stdout.isTTY ? `\x1b[31m${s}\x1b[0m` : s);
const green = (s: string) => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

interface Args {
  backend?: BackendName;
  workers: number;
  jobs: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { workers: 4, jobs: 12 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (
      flag === "--backend" &&
      (value === "redis" || value === "firestore" || value === "postgres" || value === "memory")
    ) {
      args.backend = value;
      i++;
    } else if (
      (flag === "--workers" || flag === "--jobs") &&
      value &&
      /^\d+$/.test(value) &&
      Number(value) > 0
    ) {
      args[flag === "--workers" ? "workers" : "jobs"] = Math.min(
        Number(value),
        flag === "--workers" ? 16 : 200,
      );
      i++;
    } else if (flag === "--help" || flag === "-h") {
      console.log(
        "usage: npm run demo -- [--backend redis|firestore|postgres|memory] [--workers N] [--jobs N]",
      );
      process.exit(0);
    } else {
      throw new Error(`unknown or invalid argument: ${flag}${value ? ` ${value}` : ""}`);
    }
  }
  return args;
}

function describeReport(r: WorkReport, lineFor: Map<string, number>): string {
  const n = (lineFor.get(r.payment) ?? 0) + 1;
  lineFor.set(r.payment, n);
  const who = r.worker.padEnd(9);
  if (r.outcome === "charged") {
    const twice = n > 1 && r.fence === undefined;
    const fence = r.fence ? ` fence ${r.fence}` : "";
    const wait =
      r.waitedMs !== undefined ? dim(` waited ${r.waitedMs} ms, ${r.attempts} attempt(s)`) : "";
    return `  ${r.payment}  ${who} ${twice ? red("CHARGED AGAIN") : green("charged")}${fence}${wait}`;
  }
  if (r.outcome === "already-paid") {
    const wait = r.waitedMs !== undefined ? dim(` (waited ${r.waitedMs} ms for the lock)`) : "";
    return dim(`  ${r.payment}  ${who} saw it already paid, skipped${wait}`);
  }
  return red(`  ${r.payment}  ${who} gave up waiting`);
}

/** Runs one scene with worker processes (or in-process workers on the memory backend). */
async function race(
  backendName: BackendName,
  namespace: string,
  ledger: Ledger,
  args: Args,
  locked: boolean,
  memoryBackend: LockBackend | undefined,
): Promise<void> {
  const ids = ledger.ids();
  const lineFor = new Map<string, number>();
  let skipped = 0;
  let waits = 0;
  const print = (r: WorkReport) => {
    if (r.outcome === "already-paid") {
      skipped++;
      if (r.waitedMs && r.waitedMs > 0) waits++;
      return;
    }
    console.log(describeReport(r, lineFor));
  };
  const note = () =>
    console.log(
      dim(
        `  (${skipped} visits found the payment already paid${locked ? `; ${waits} of them had waited for the lock holder to finish` : ""})`,
      ),
    );
  if (memoryBackend) {
    const lock = locked ? createLock(memoryBackend) : undefined;
    await Promise.all(
      Array.from({ length: args.workers }, (_, i) =>
        runWorker(ledger, lock, `worker-${i + 1}`, workOrder(ids), print),
      ),
    );
    note();
    return;
  }
  const script = join(__dirname, "worker-process.js");
  // Workers connect at their own pace; they race only once all of them are connected, or the
  // first one up would process every payment alone and the race would not show.
  const children: ChildProcess[] = [];
  let ready = 0;
  await Promise.all(
    Array.from(
      { length: args.workers },
      (_, i) =>
        new Promise<void>((resolve, reject) => {
          const child = fork(script, [], {
            env: {
              ...process.env,
              DEMO_BACKEND: backendName,
              DEMO_NAMESPACE: namespace,
              DEMO_WORKER: `worker-${i + 1}`,
            },
            stdio: ["ignore", "inherit", "inherit", "ipc"],
          });
          child.on("message", async (message: { type: string; [k: string]: unknown }) => {
            if (message.type === "ready") {
              ready += 1;
              if (ready === args.workers) for (const each of children) each.send({ type: "go" });
            } else if (message.type === "rpc") {
              const method = message.method as keyof LedgerApi;
              const fn = ledger[method] as (...a: unknown[]) => Promise<unknown>;
              const value = await fn.apply(ledger, message.args as unknown[]);
              child.send({ type: "reply", id: message.id, value });
            } else if (message.type === "report") {
              print(message.report as WorkReport);
            } else if (message.type === "done") {
              child.disconnect();
            } else if (message.type === "error") {
              reject(new Error(`worker-${i + 1}: ${String(message.message)}`));
            }
          });
          child.on("exit", (code) =>
            code === 0 ? resolve() : reject(new Error(`worker-${i + 1} exited with ${code}`)),
          );
          children.push(child);
          child.send({ type: "start", ids: workOrder(ids), locked });
        }),
    ),
  );
  note();
}

/** A holder pauses past its TTL; a second holder takes over; the first one's late write is refused. */
async function staleHolderScene(
  backend: LockBackend,
  ledger: Ledger,
): Promise<{ rejected: boolean; lostSignal: boolean }> {
  const id = ledger.ids()[0] as string;
  const ttlMs = 1000;
  const paused = await acquire(backend, { key: `refund:${id}`, ttlMs });
  console.log(
    `  worker-A acquired refund:${id} with fence ${paused.fence} (ttl ${ttlMs} ms), then stalls (a long GC pause)...`,
  );
  const pauseMs = ttlMs + 1000 + 600; // past the TTL and the 1000 ms tolerance
  await new Promise((r) => setTimeout(r, pauseMs));
  await createLock(backend)(
    async ({ fence }) => {
      console.log(`  worker-B acquired refund:${id} with fence ${fence} after A's lease expired`);
      await ledger.chargeCard(id, "worker-B", fence);
      console.log(`  worker-B wrote with fence ${fence}: ${green("accepted")}`);
    },
    { key: `refund:${id}`, ttlMs: 5000 },
  );
  const lostSignal = paused.signal.aborted;
  console.log(
    `  worker-A wakes up. Its lock context signal: ${lostSignal ? "aborted (LockLost) - a careful holder stops here" : "not aborted"}`,
  );
  const outcome = await ledger.chargeCard(id, "worker-A", paused.fence);
  console.log(
    `  worker-A writes anyway with its old fence ${paused.fence}: ${outcome === "rejected" ? green("REJECTED by the fence check") : red("accepted (unsafe!)")}`,
  );
  await paused.release();
  return { rejected: outcome === "rejected", lostSignal };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const chosen = await chooseBackend(args.backend);
  const namespace = runNamespace();
  const opened = await openBackend(chosen.name, namespace);
  const ledger = new Ledger();
  const started = chosen.started ? " (started by the demo on a free port)" : "";
  console.log(bold("\nSyncGuard race demo"));
  console.log(`Backend: ${opened.description}${started}`);
  if (chosen.name === "memory") {
    console.log(
      dim(
        "No Redis or Firestore emulator available: workers run in one process on the memory backend.",
      ),
    );
  } else {
    console.log(
      dim(
        `${args.workers} worker processes, each with its own connection, race on ${args.jobs} payments.`,
      ),
    );
  }
  const memory = chosen.name === "memory" ? opened.backend : undefined;
  try {
    console.log(
      bold(`\n1. Without a lock: ${args.workers} workers, ${args.jobs} pending payments`),
    );
    ledger.reset(args.jobs);
    await race(chosen.name, namespace, ledger, args, false, memory);
    const unsafe = ledger.summary();

    console.log(bold('\n2. With lock(fn, { key: "payment:<id>" })'));
    ledger.reset(args.jobs);
    await race(chosen.name, namespace, ledger, args, true, memory);
    const safe = ledger.summary();

    console.log(bold("\n3. A stale holder and the fencing token"));
    ledger.reset(1);
    const stale = await staleHolderScene(opened.backend, ledger);

    console.log(bold("\nSummary"));
    const rows = [
      ["scene", "payments", "card charges", "charged twice or more", "overcharged"],
      [
        "without lock",
        unsafe.payments,
        unsafe.charges,
        unsafe.doubleCharged,
        `$${(unsafe.overchargedCents / 100).toFixed(2)}`,
      ],
      [
        "with lock()",
        safe.payments,
        safe.charges,
        safe.doubleCharged,
        `$${(safe.overchargedCents / 100).toFixed(2)}`,
      ],
    ].map((r) => r.map(String));
    const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
    for (const [i, r] of rows.entries()) {
      console.log(`  ${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("  |  ")}`);
      if (i === 0) console.log(`  ${widths.map((w) => "-".repeat(w)).join("--+--")}`);
    }
    console.log(`  stale write with an old fence: ${stale.rejected ? "rejected" : "ACCEPTED"}`);
    if (safe.doubleCharged > 0 || safe.charges !== safe.payments || !stale.rejected) {
      throw new Error(
        "the locked run charged a card twice or accepted a stale write: this is a bug",
      );
    }
    console.log(
      green(`\nEvery payment charged exactly once with the lock (backend: ${chosen.name}).\n`),
    );
  } finally {
    await opened.close();
    await chosen.started?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(red(`demo failed: ${error instanceof Error ? error.message : String(error)}`));
  process.exitCode = 1;
});
