/**
 * Leader election under faults (issue 28, ADR-039): the leader process is SIGKILLed (another
 * leads within the TTL plus the tolerance, with a newer fence, terms never overlap), and frozen
 * with SIGSTOP past its TTL (another leads; on SIGCONT the old leader's signal aborts with
 * LockLost and every write it makes with its old term's fence is refused by the fenced store),
 * and the store goes down (leadership ends with LockLost by its TTL, nobody leads while it is
 * down, one candidate leads again once it is back).
 */
import { type BackendConfig, SERVICE_KINDS, sharedConfig, uniqueName } from "../harness/backends";
import { createLedger, noSections } from "../harness/ledger";
import { concludeScenario, nsToMs } from "../harness/scenario";
import { type PrivateServer, ServiceHost } from "../harness/services";
import {
  killAllWorkers,
  spawnWorker,
  type WorkerMessage,
  type WorkerProcess,
} from "../harness/supervisor";

const TTL_MS = 2000;
const TOLERANCE_MS = 1000;
/** Wake-ups, round trips and process scheduling on 2 busy cores. */
const SLACK_MS = 1500;
/**
 * The Firestore emulator serializes the candidates' contending transactions (2 s stalls): a term
 * whose acquire took longer than its TTL is over before it starts, so the TTL there is longer.
 */
const ttlFor = (kind: string) => (kind === "firestore" ? 6000 : TTL_MS);
/** There, two waiters' colliding acquires also cost one 2 s lock stall of the emulator. */
const slackFor = (kind: string) => (kind === "firestore" ? SLACK_MS + 2000 : SLACK_MS);

afterAll(killAllWorkers);

interface Term {
  candidate: WorkerProcess;
  term: WorkerMessage;
}

/**
 * Every term the candidates report, in arrival order, read without taking messages off a
 * worker's queue (its other expectations still see them).
 */
function watchTerms(candidates: WorkerProcess[]) {
  const terms: Term[] = [];
  for (const candidate of candidates) {
    candidate.child.on("message", (message: WorkerMessage) => {
      if (message.type === "elected") terms.push({ candidate, term: message });
    });
  }
  /** Resolves with the `n`th term (1-based) once it is reported; rejects after `timeoutMs`. */
  const nth = async (n: number, timeoutMs: number): Promise<Term> => {
    const until = performance.now() + timeoutMs;
    while (terms.length < n) {
      if (performance.now() > until) throw new Error(`no term ${n} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return terms[n - 1]!;
  };
  return { terms, nth };
}

describe("leader election: the leader dies", () => {
  it.each(SERVICE_KINDS)(
    "%s: SIGKILL the leader, another leads within ttlMs + tolerance with a newer fence",
    async (kind) => {
      const config: BackendConfig = sharedConfig(kind, "leader-kill");
      const ledger = createLedger(`leader-kill-${kind}`);
      const candidates = await Promise.all(
        ["a", "b", "c"].map((label) =>
          spawnWorker({
            script: "leader-worker.js",
            config: { backend: config, ledger: ledger.file },
            ledger,
            label,
          }),
        ),
      );
      const key = `leader:${kind}`;
      const ttlMs = ttlFor(kind);
      const { terms, nth } = watchTerms(candidates);
      try {
        for (const candidate of candidates) {
          candidate.send({ type: "campaign", id: "e", key, ttlMs });
        }
        const first = await nth(1, 20_000);
        await first.candidate.kill("SIGKILL");
        const second = await nth(2, ttlMs + TOLERANCE_MS + slackFor(kind) + 5_000);
        // The new leader keeps leading: hold it a few renewals before reading the ledger.
        await new Promise((resolve) => setTimeout(resolve, ttlMs));

        const report = ledger.read();
        const [old, next] = report.intervals;
        const tookOverAfterMs = old && next ? nsToMs(next.enter, old.enter) : Number.NaN;
        concludeScenario(
          {
            scenario: "leader-sigkill",
            backend: kind,
            faults: 1,
            ops: report.intervals.length,
            extra: {
              ttlMs,
              tookOverAfterMs,
              oldFence: String(first.term.fence),
              newFence: String(second.term.fence),
            },
          },
          report,
        );
        expect(terms).toHaveLength(2);
        expect(report.intervals).toHaveLength(2);
        expect(tookOverAfterMs).toBeLessThanOrEqual(ttlMs + TOLERANCE_MS + slackFor(kind));
        expect(String(second.term.fence) > String(first.term.fence)).toBe(true);
      } finally {
        await killAllWorkers();
        ledger.dispose();
      }
    },
  );
});

describe("leader election: the leader freezes past its TTL", () => {
  it("redis-single: another leads; on resume the old leader's signal aborts with LockLost and its fenced writes are refused", async () => {
    const config = sharedConfig("redis-single", "leader-freeze");
    const candidates = await Promise.all(
      ["a", "b"].map((label) =>
        spawnWorker({ script: "leader-worker.js", config: { backend: config }, label }),
      ),
    );
    const key = "leader:freeze";
    const fencedKey = `${config.keyPrefix}:owner`;
    const { nth } = watchTerms(candidates);
    try {
      for (const candidate of candidates) {
        candidate.send({ type: "campaign", id: "e", key, ttlMs: TTL_MS, fencedKey });
      }
      const first = await nth(1, 20_000);
      const old = first.candidate;
      await old.expect("wrote", 5_000, "e"); // it leads and writes
      await old.kill("SIGSTOP");
      const other = candidates.find((candidate) => candidate !== old)!;
      const second = (await nth(2, TTL_MS + TOLERANCE_MS + SLACK_MS + 5_000)).term;
      expect((await nth(2, 0)).candidate).toBe(other);
      const newWrite = await other.expect("wrote", 5_000, "e");
      expect(newWrite.ok).toBe(true);
      // What the old leader wrote before it froze (while it led) is behind us.
      while (await old.expect("wrote", 50, "e").catch(() => undefined));
      await old.kill("SIGCONT");

      const signal = await old.expect("signal", 5_000, "e");
      expect(signal.code).toBe("LockLost");
      const lost = await old.expect("lost", 5_000, "e");
      expect(lost.code).toBe("LockLost");
      // Whatever the old leader wrote after resuming (its loop may run once before the deadline
      // timer) carried its old fence and was refused.
      const staleWrites: unknown[] = [];
      for (;;) {
        const wrote = await old.expect("wrote", 200, "e").catch(() => undefined);
        if (!wrote) break;
        staleWrites.push(wrote);
        expect(wrote.ok).toBe(false);
        expect(wrote.name).toBe("StaleFenceError");
      }
      expect(String(second.fence) > String(first.term.fence)).toBe(true);
      concludeScenario(
        {
          scenario: "leader-sigstop",
          backend: "redis-single",
          faults: 1,
          ops: 2,
          extra: {
            oldFence: String(first.term.fence),
            newFence: String(second.fence),
            staleWritesRefused: staleWrites.length,
          },
        },
        noSections(),
      );
    } finally {
      await killAllWorkers();
    }
  });
});

describe("leader election: the store goes down", () => {
  let host: ServiceHost;
  let server: PrivateServer;
  beforeAll(async () => {
    host = await ServiceHost.start();
    // With AOF, fences survive the restart (without persistence they may start over: scenario 2).
    server = await host.redis({ appendOnly: true });
  });
  afterAll(async () => {
    await killAllWorkers();
    await host?.close();
  });

  it("redis-single: leadership ends with LockLost (onLost) while the server is down, nobody leads meanwhile, and one candidate leads again after it is back", async () => {
    const config: BackendConfig = {
      kind: "redis-single",
      redisUrl: server.address,
      keyPrefix: uniqueName("leader-outage"),
    };
    const ledger = createLedger("leader-outage");
    const candidates = await Promise.all(
      ["a", "b"].map((label) =>
        spawnWorker({
          script: "leader-worker.js",
          config: { backend: config, ledger: ledger.file },
          ledger,
          label,
        }),
      ),
    );
    const { terms, nth } = watchTerms(candidates);
    try {
      for (const candidate of candidates) {
        candidate.send({ type: "campaign", id: "e", key: "leader:outage", ttlMs: TTL_MS });
      }
      const first = await nth(1, 20_000);
      const downAt = performance.now();
      await server.kill();
      const lost = await first.candidate.expect("lost", TTL_MS + SLACK_MS, "e");
      const lostAfterMs = Math.round(performance.now() - downAt);
      expect(lost.code).toBe("LockLost");
      // Down for a while longer: nobody can lead.
      await new Promise((resolve) => setTimeout(resolve, TTL_MS + TOLERANCE_MS));
      expect(terms).toHaveLength(1);
      await server.restart();
      const again = await nth(2, 30_000);
      const report = ledger.read();
      concludeScenario(
        {
          scenario: "leader-store-outage",
          backend: "redis-single",
          faults: 1,
          ops: report.intervals.length,
          extra: { ttlMs: TTL_MS, lostAfterMs, secondLeader: again.candidate.label },
        },
        report,
      );
      expect(lostAfterMs).toBeLessThanOrEqual(TTL_MS);
    } finally {
      await killAllWorkers();
      ledger.dispose();
    }
  });
});
