/**
 * The user closes the client (quit, close, destroy, disconnect, terminate, end) while SyncGuard
 * still has work in flight on it: the release of an attempt abandoned by an abort, a waiter's
 * wake-up subscription, an auto-extend renewal, a watch lingering for the next waiter. Under
 * Node's default an unhandled rejection or uncaught exception ends the process, so none may
 * happen (jest fails the test that sees one, and jest.base.js's environment the file), every
 * pending lock() must settle with a LockError, and the background work must end (`whenIdle`).
 * Every store and client: node-redis and ioredis on a single node and a Cluster, Firestore,
 * PostgreSQL through pg (a Pool and a Client) and postgres.js.
 */
import type { Firestore } from "@google-cloud/firestore";
import {
  createLock,
  isLockError,
  type LockBackend,
  type LockEvent,
  type LockFunction,
  whenIdle,
} from "@syncguard/core";
import { createFirestoreBackend } from "@syncguard/firestore";
import { createPostgresBackend, setupSchema } from "@syncguard/postgres";
import { createRedisBackend } from "@syncguard/redis";
import IORedis, { Cluster as IORedisCluster } from "ioredis";
import { Client as PgClient, Pool } from "pg";
import postgres from "postgres";
import { createClient, createCluster } from "redis";
import { firestoreAt, firestoreProject, uniqueName } from "../harness/backends";
import { describeError } from "../harness/errors";
import { fileWatch, sweepLeaks } from "../harness/leak-sweep";
import { type PrivateServer, ServiceHost } from "../harness/services";
import { recordSummary } from "../harness/summary";
import { pollUntil, settleWithin } from "../harness/timing";

const ignore = () => {};
/** Short leases: a lock left behind by a closed client frees itself soon. */
const TTL_MS = 600;
/** Long enough for every piece of background work to end (a release retried until expiry). */
const IDLE_WITHIN_MS = 15_000;

type Backend = LockBackend & { close(): Promise<void> };

/** A backend on a fresh client of its own, and how this case closes that client. */
interface Opened {
  backend: Backend;
  closeClient(): Promise<void>;
}

interface Subject {
  /** "<client> <topology>: <close call>" */
  label: string;
  store: "redis" | "redis-cluster" | "firestore" | "postgres";
  open(): Promise<Opened>;
}

/** Backends that stay open, on the same keys: they hold a key so the subject has to wait. */
const observers = new Map<Subject["store"], Backend>();
const cleanups: Array<() => Promise<unknown>> = [];
let host: ServiceHost | undefined;
let postgresServer: PrivateServer | undefined;
let postgresUrl = "";
const redisPrefix = uniqueName("sgf_closed");
const firestoreNames = { collection: `${redisPrefix}_locks`, fenceCollection: `${redisPrefix}_f` };

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run through \`pnpm test:faults\``);
  return value;
}
const clusterNodes = () =>
  env("REDIS_CLUSTER_NODES")
    .split(",")
    .map((node) => {
      const [host, port] = node.split(":");
      return { host: host ?? "127.0.0.1", port: Number(port) };
    });

/**
 * The subject's close call. Whatever it does (some reject once already closed) the case goes on,
 * but one that never finishes (a shutdown the library wedged) is a problem of its own.
 */
const closing = (close: () => unknown) => async () => {
  const closed = await settleWithin(Promise.resolve().then(close), 10_000);
  if (!closed.settled) throw new Error("closing the client did not finish within 10 s");
};

function nodeRedisSubjects(): Subject[] {
  const single = (method: "quit" | "close" | "destroy" | "disconnect"): Subject => ({
    label: `node-redis single: ${method}()`,
    store: "redis",
    async open() {
      const client = createClient({ url: env("REDIS_URL") });
      client.on("error", ignore);
      await client.connect();
      return {
        backend: createRedisBackend(client, { keyPrefix: redisPrefix }),
        closeClient: closing(() => client[method]()),
      };
    },
  });
  const cluster = (method: "quit" | "close" | "destroy" | "disconnect"): Subject => ({
    label: `node-redis cluster: ${method}()`,
    store: "redis-cluster",
    async open() {
      const client = createCluster({
        rootNodes: clusterNodes().map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
      });
      client.on("error", ignore);
      await client.connect();
      return {
        backend: createRedisBackend(client, { keyPrefix: redisPrefix }),
        closeClient: closing(() => client[method]()),
      };
    },
  });
  const methods = ["quit", "close", "destroy", "disconnect"] as const;
  return [...methods.map(single), ...methods.map(cluster)];
}

function ioredisSubjects(): Subject[] {
  const single = (method: "quit" | "disconnect"): Subject => ({
    label: `ioredis single: ${method}()`,
    store: "redis",
    async open() {
      const client = new IORedis(env("REDIS_URL"), { lazyConnect: true });
      client.on("error", ignore);
      await client.connect();
      return {
        backend: createRedisBackend(client, { keyPrefix: redisPrefix }),
        closeClient: closing(() => client[method]()),
      };
    },
  });
  const cluster = (method: "quit" | "disconnect"): Subject => ({
    label: `ioredis cluster: ${method}()`,
    store: "redis-cluster",
    async open() {
      const client = new IORedisCluster(clusterNodes(), { lazyConnect: true });
      client.on("error", ignore);
      await client.connect();
      return {
        backend: createRedisBackend(client, { keyPrefix: redisPrefix }),
        closeClient: closing(() => client[method]()),
      };
    },
  });
  return [single("quit"), single("disconnect"), cluster("quit"), cluster("disconnect")];
}

function firestoreSubject(): Subject {
  return {
    label: "firestore: terminate()",
    store: "firestore",
    async open() {
      const db = firestoreAt(env("FIRESTORE_EMULATOR_HOST"), firestoreProject());
      const backend = createFirestoreBackend(db, { ...firestoreNames, operationTimeoutMs: 1000 });
      return {
        backend,
        // The SDK refuses to terminate while snapshot listeners are active: a waiter's wake-up
        // listener is stopped by backend.close() first (the documented order).
        closeClient: closing(async () => {
          await backend.close();
          await db.terminate();
        }),
      };
    },
  };
}

function postgresSubjects(): Subject[] {
  const options = { operationTimeoutMs: 1000 };
  return [
    {
      label: "pg Pool: end()",
      store: "postgres",
      async open() {
        const pool = new Pool({ connectionString: postgresUrl, max: 4 });
        pool.on("error", ignore);
        return {
          backend: createPostgresBackend(pool, options),
          closeClient: closing(() => pool.end()),
        };
      },
    },
    {
      label: "pg Client: end()",
      store: "postgres",
      async open() {
        const client = new PgClient({ connectionString: postgresUrl });
        client.on("error", ignore);
        await client.connect();
        return {
          backend: createPostgresBackend(client, options),
          closeClient: closing(() => client.end()),
        };
      },
    },
    ...[{ how: "end()" }, { how: "end({ timeout: 0 })", timeout: 0 }].map(
      ({ how, timeout }): Subject => ({
        label: `postgres.js: ${how}`,
        store: "postgres",
        async open() {
          const sql = postgres(postgresUrl, { max: 4, onnotice: ignore });
          return {
            backend: createPostgresBackend(sql, options),
            closeClient: closing(() => sql.end(timeout === undefined ? {} : { timeout })),
          };
        },
      }),
    ),
  ];
}

/** lock() with the file's leak watch, its events also collected here. */
function watchedLock(backend: LockBackend, events: LockEvent[]): LockFunction {
  const watch = fileWatch();
  watch.watchBackend(backend);
  return watch.watchLock(
    createLock(backend, {
      logger: watch.logger,
      onEvent: (event) => {
        watch.noteEvent(event);
        events.push(event);
      },
    }),
  );
}

const contended = (events: LockEvent[]) => events.filter((e) => e.type === "contended").length;

/** Holds `key` on the store's observer (another client) until the returned release is called. */
async function holdElsewhere(subject: Subject, key: string) {
  const observer = observers.get(subject.store);
  if (!observer) throw new Error(`no observer for ${subject.store}`);
  const held = await observer.acquire({ key, ttlMs: 30_000 });
  if (!held.ok) throw new Error(`${key} is not free`);
  return () => observer.release({ lockId: held.lockId });
}

/** What is wrong with how a pending lock() settled after its client was closed. */
async function mustFailWithLockError(what: string, call: Promise<unknown>, problems: string[]) {
  const settled = await settleWithin(call, 20_000);
  if (!settled.settled) problems.push(`${what}: still pending 20 s after the client was closed`);
  else if (settled.ok) problems.push(`${what}: resolved although its client was closed`);
  else if (!isLockError(settled.error)) {
    problems.push(`${what}: rejected with a non-LockError ${describeError(settled.error)}`);
  }
}

type Case = (subject: Subject, key: string, problems: string[]) => Promise<Backend>;

/** An acquire in flight when the caller aborts: released in the background once it lands. */
const abandonedAttempt: Case = async (subject, key, problems) => {
  const { backend, closeClient } = await subject.open();
  const controller = new AbortController();
  const call = watchedLock(backend, [])(() => "ran", {
    key,
    ttlMs: TTL_MS,
    signal: controller.signal,
  });
  call.catch(ignore); // observed below
  controller.abort(); // the first attempt was sent synchronously by lock()
  await closeClient().catch((e: Error) => problems.push(e.message));
  await mustFailWithLockError("the aborted lock()", call, problems);
  return backend;
};

/** A waiter subscribed to the key's releases when its client goes away. */
const waiterSubscribed: Case = async (subject, key, problems) => {
  const release = await holdElsewhere(subject, key);
  const { backend, closeClient } = await subject.open();
  const events: LockEvent[] = [];
  const call = watchedLock(backend, events)(() => "ran", {
    key,
    ttlMs: TTL_MS,
    timeoutMs: 3_000,
    retryDelayMs: 100,
    maxRetryDelayMs: 200,
  });
  call.catch(ignore); // observed below
  // The engine subscribes before its second attempt: two contended attempts mean it listens.
  await pollUntil(`${key}: waiter subscribed`, () => (contended(events) >= 2 ? true : undefined));
  await closeClient().catch((e: Error) => problems.push(e.message));
  await mustFailWithLockError("the waiting lock()", call, problems);
  await release();
  return backend;
};

/** An auto-extending holder whose client goes away: renewals fail, the lock is reported lost. */
const renewal: Case = async (subject, key, problems) => {
  const { backend, closeClient } = await subject.open();
  let working = false;
  const call = watchedLock(backend, [])(
    async ({ signal }) => {
      working = true;
      await pollUntil(`${key}: signal aborted`, () => (signal.aborted ? true : undefined));
    },
    { key, ttlMs: TTL_MS, autoExtend: true, onReleaseError: ignore },
  );
  call.catch(ignore); // observed below
  await pollUntil(`${key}: fn running`, () => (working ? true : undefined));
  await closeClient().catch((e: Error) => problems.push(e.message));
  await mustFailWithLockError("the renewing lock()", call, problems);
  return backend;
};

/** A waiter woken by a release: its done, the key's watch lingers, the client goes away. */
const lingeringWatch: Case = async (subject, key, problems) => {
  const release = await holdElsewhere(subject, key);
  const { backend, closeClient } = await subject.open();
  const events: LockEvent[] = [];
  const call = watchedLock(backend, events)(() => "ran", {
    key,
    ttlMs: TTL_MS,
    timeoutMs: 10_000,
    retryDelayMs: 5_000,
    maxRetryDelayMs: 5_000,
  });
  call.catch(ignore); // observed below
  await pollUntil(`${key}: waiter subscribed`, () => (contended(events) >= 2 ? true : undefined));
  await release();
  const woken = await settleWithin(call, 4_000);
  if (!woken.settled || !woken.ok) {
    problems.push(`the waiter was not woken by the release: ${JSON.stringify(woken)}`);
  }
  await closeClient().catch((e: Error) => problems.push(e.message));
  return backend;
};

const CASES: Record<string, Case> = { abandonedAttempt, waiterSubscribed, renewal, lingeringWatch };

beforeAll(async () => {
  const redis = createClient({ url: env("REDIS_URL") });
  redis.on("error", ignore);
  await redis.connect();
  observers.set("redis", createRedisBackend(redis, { keyPrefix: redisPrefix }));
  cleanups.push(async () => redis.destroy());
  const cluster = createCluster({
    rootNodes: clusterNodes().map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
  });
  cluster.on("error", ignore);
  await cluster.connect();
  observers.set("redis-cluster", createRedisBackend(cluster, { keyPrefix: redisPrefix }));
  cleanups.push(async () => cluster.destroy());
  const db: Firestore = firestoreAt(env("FIRESTORE_EMULATOR_HOST"), firestoreProject());
  const firestoreObserver = createFirestoreBackend(db, firestoreNames);
  observers.set("firestore", firestoreObserver);
  cleanups.push(async () => {
    await firestoreObserver.close();
    await db.terminate();
  });
  // PostgreSQL: the shared one when the runner started it, else one of this file's own.
  postgresUrl = process.env.SYNCGUARD_POSTGRES_URL ?? "";
  if (!postgresUrl) {
    host = await ServiceHost.start();
    postgresServer = await host.postgres();
    postgresUrl = postgresServer.address;
  }
  fileWatch().noteSecret(decodeURIComponent(new URL(postgresUrl).password));
  const pool = new Pool({ connectionString: postgresUrl, max: 2 });
  pool.on("error", ignore);
  await setupSchema(pool);
  observers.set("postgres", createPostgresBackend(pool));
  cleanups.push(() => pool.end());
}, 120_000);

afterAll(async () => {
  for (const observer of observers.values()) await observer.close().catch(ignore);
  for (const cleanup of cleanups) await cleanup().catch(ignore);
  await host?.close();
});

const SUBJECTS = [
  ...nodeRedisSubjects(),
  ...ioredisSubjects(),
  firestoreSubject(),
  ...postgresSubjects(),
];

describe("closing the client while background work is in flight", () => {
  // Each subject on clients and keys of its own: a few at a time (jest's maxConcurrency) keep the
  // file's wall time down; most of it is spent waiting for leases and lingering watches to end.
  for (const subject of SUBJECTS) {
    it.concurrent(`${subject.label}: no unhandled rejection or uncaught exception, every pending lock() settles with a LockError`, async () => {
      const problems: string[] = [];
      const keyBase = `closed:${subject.label.replace(/\W+/g, "-")}`;
      // The four kinds at once, each on a client of its own.
      const backends = await Promise.all(
        Object.entries(CASES).map(([name, run]) => {
          const caseProblems: string[] = [];
          return run(subject, `${keyBase}:${name}`, caseProblems).then((backend) => {
            problems.push(...caseProblems.map((p) => `${name}: ${p}`));
            return { name, backend };
          });
        }),
      );
      for (const { name, backend } of backends) {
        if (!(await whenIdle(backend, { timeoutMs: IDLE_WITHIN_MS }))) {
          problems.push(`${name}: background work still running ${IDLE_WITHIN_MS} ms later`);
        }
        await backend.close().catch(ignore);
      }
      recordSummary({
        scenario: "client-closed",
        backend: subject.label.replace(/[:()]/g, "").replace(/\s+/g, "-"),
        faults: backends.length,
        ops: backends.length,
        overlaps: 0,
        fenceRegressions: 0,
      });
      expect(problems).toEqual([]);
    });
  }
});

sweepLeaks();
