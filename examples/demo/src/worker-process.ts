/**
 * A demo worker in its own process. It builds its own backend connection from the environment and
 * reaches the shared payment service in the parent over IPC.
 */
import { createLock } from "@syncguard/core";
import { type BackendName, openBackend } from "./backends";
import type { LedgerApi } from "./ledger";
import { runWorker, type WorkReport } from "./worker";

type Reply = { type: "reply"; id: number; value: unknown };
type Start = { type: "start"; ids: string[]; locked: boolean };

const pending = new Map<number, (value: unknown) => void>();
let nextId = 0;

function call<T>(method: keyof LedgerApi, args: unknown[]): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve) => {
    pending.set(id, resolve as (value: unknown) => void);
    process.send?.({ type: "rpc", id, method, args });
  });
}

const api: LedgerApi = {
  getPayment: (...args) => call("getPayment", args),
  chargeCard: (...args) => call("chargeCard", args),
  updateStatus: (...args) => call("updateStatus", args),
};

/** Resolves when the parent says every worker is connected: they all start racing at once. */
let go: () => void = () => {};
const started = new Promise<void>((resolve) => {
  go = resolve;
});

async function start(message: Start): Promise<void> {
  const worker = process.env.DEMO_WORKER ?? `worker-${process.pid}`;
  const opened = await openBackend(
    process.env.DEMO_BACKEND as BackendName,
    process.env.DEMO_NAMESPACE ?? "demo",
  );
  process.send?.({ type: "ready" });
  await started;
  try {
    const lock = message.locked ? createLock(opened.backend) : undefined;
    await runWorker(api, lock, worker, message.ids, (report: WorkReport) =>
      process.send?.({ type: "report", report }),
    );
  } finally {
    await opened.close();
  }
  process.send?.({ type: "done" });
}

process.on("message", (message: Reply | Start | { type: "go" }) => {
  if (message.type === "go") {
    go();
  } else if (message.type === "reply") {
    pending.get(message.id)?.(message.value);
    pending.delete(message.id);
  } else if (message.type === "start") {
    start(message).catch((error: unknown) => {
      process.send?.({
        type: "error",
        message: error instanceof Error ? error.message : String(error),
      });
    });
  }
});
