import { spawn } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import {
  acquirePermit,
  createLock,
  isLockError,
  type LockBackend,
  type LockContext,
  readFence,
} from "@syncguard/core";
import { hashLockId } from "@syncguard/core/driver";
import { main } from "../src";

// google-auth probes the GCE metadata server otherwise (slow, noisy warnings).
process.env.METADATA_SERVER_DETECTION ??= "none";

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** main() in-process with captured output; stdin is empty and not a TTY unless `answer` is given. */
export async function runCli(
  argv: string[],
  options: { answer?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  let stdout = "";
  let stderr = "";
  let stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  if (options.answer !== undefined) {
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    tty.end(options.answer);
    stdin = tty;
  } else {
    stdin = Readable.from([]);
  }
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    stdin,
    env: options.env ?? {},
  });
  return { code, stdout, stderr };
}

export const BIN = path.join(__dirname, "..", "dist", "bin.js");

/** The built `syncguard` bin in a child process (stdin is a pipe: not a TTY). */
export function spawnCli(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; bin?: string; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.bin ?? BIN, ...argv], {
      env: { PATH: process.env.PATH, METADATA_SERVER_DETECTION: "none", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdin.end();
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The built bin in a directory of its own with only the given packages beside it, as an install
 * with exactly those would leave it. `packages` maps a name in node_modules to its source:
 * `{ copy: "redis" }` copies the workspace package (package.json and dist) so that it resolves
 * its own peers from this directory, `{ link: "core" }` links a workspace package,
 * `{ fixture: "name" }` links `test/fixtures/name`, and a string
 * links one of this package's dev dependencies (`redis: "redis5"` installs node-redis 5 as
 * `redis`). Returns the bin's path.
 */
export function isolatedBin(
  packages: Record<string, string | { copy: string } | { link: string } | { fixture: string }>,
): string {
  const dir = mkdtempSync(path.join(tmpdir(), "syncguard-cli-"));
  const bin = path.join(dir, "bin.js");
  copyFileSync(BIN, bin);
  const workspace = (name: string) => path.resolve(__dirname, "..", "..", name);
  for (const [name, source] of Object.entries(packages)) {
    const target = path.join(dir, "node_modules", name);
    mkdirSync(path.dirname(target), { recursive: true });
    if (typeof source === "object" && "copy" in source) {
      mkdirSync(target);
      copyFileSync(
        path.join(workspace(source.copy), "package.json"),
        path.join(target, "package.json"),
      );
      cpSync(path.join(workspace(source.copy), "dist"), path.join(target, "dist"), {
        recursive: true,
      });
    } else if (typeof source === "object" && "fixture" in source) {
      symlinkSync(path.join(__dirname, "fixtures", source.fixture), target, "dir");
    } else {
      const from =
        typeof source === "object"
          ? workspace(source.link)
          : realpathSync(path.join(__dirname, "..", "node_modules", source));
      symlinkSync(from, target, "dir");
    }
  }
  return bin;
}

/** A loopback port nothing listens on (it was free a moment ago). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A loopback TCP server that accepts connections and never answers (the timeout path).
 * `close()` ends it and every connection it took.
 */
export async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((socket) => {
    sockets.add(socket); // read nothing, answer nothing
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export const unique = (label: string): string =>
  `${label}-${process.pid}-${process.hrtime.bigint().toString(36)}`;

/**
 * A live, renewing `lock()` holder on `key`: resolves once inside fn. `outcome` settles with what
 * lock() ended with (the error it rejected with) and `signalReason` with why its signal aborted.
 */
export async function liveHolder(backend: LockBackend, key: string, ttlMs = 1_500) {
  let context!: LockContext;
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => {
    entered = resolve;
  });
  const outcome = createLock(backend)(
    async (ctx) => {
      context = ctx as LockContext;
      entered();
      await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve()));
      return ctx.signal.reason as unknown;
    },
    { key, ttlMs, autoExtend: true },
  ).then(
    (reason) => ({ signalReason: reason, error: undefined as unknown }),
    (error: unknown) => ({ signalReason: context?.signal.reason as unknown, error }),
  );
  await inside;
  return { fence: String((context as { fence?: unknown }).fence), outcome };
}

/** The release --force scenario every store runs; `cli` runs the CLI against the same store. */
export async function forceReleaseScenario(
  backend: LockBackend,
  cli: (argv: string[]) => Promise<Run>,
  key: string,
): Promise<void> {
  const holder = await liveHolder(backend, key);
  const before = await readFence(backend, key);
  const run = await cli(["release", "--force", "--yes", key, "--json"]);
  expect(run.stderr).toBe("");
  expect(run.code).toBe(0);
  expect(JSON.parse(run.stdout)).toEqual({ key, released: true, fence: holder.fence });
  // The fence counter is untouched by the release...
  expect(await readFence(backend, key)).toEqual(before);
  // ...the holder learns of it: its signal aborts with LockLost and lock() rejects with it.
  const ended = await holder.outcome;
  expect(isLockError(ended.signalReason, "LockLost")).toBe(true);
  expect(isLockError(ended.error, "LockLost")).toBe(true);
  // ...and the next holder gets a higher fence.
  const next = await backend.acquire({ key, ttlMs: 5_000 });
  if (!next.ok) throw new Error("the key was not freed");
  expect(BigInt((next as { fence: string }).fence)).toBeGreaterThan(BigInt(holder.fence));
  await backend.release({ lockId: next.lockId });
  // A free key: nothing to release, exit 1.
  const again = await cli(["release", "--force", "--yes", key]);
  expect(again.code).toBe(1);
  expect(again.stdout).toContain("nothing released");
}

/**
 * The permit scenario every store runs: `list` and `inspect` show a semaphore's permits by holder
 * id (never a lockId), and `release --force --permit` forces exactly one out, by fence or by
 * holder id: the other stays, the evicted holder cannot renew, fences keep growing.
 */
export async function permitScenario(
  backend: LockBackend,
  cli: (argv: string[]) => Promise<Run>,
  key: string,
): Promise<void> {
  const options = { key, permits: 2, ttlMs: 60_000, timeoutMs: 0 };
  const evicted = await acquirePermit(backend, options);
  const kept = await acquirePermit(backend, options);
  const next: Awaited<ReturnType<typeof acquirePermit>>[] = [];
  const secrets = () => [evicted, kept, ...next].map((permit) => permit.lockId);
  const noSecret = (run: Run) => {
    for (const secret of secrets()) expect(run.stdout + run.stderr).not.toContain(secret);
    return run;
  };
  try {
    const listed = noSecret(await cli(["list", "--prefix", key, "--json"]));
    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout);
    expect(page.locks).toEqual([]);
    expect(
      page.permits.map((p: { holderId: string; fence: string; kind: string; permits: number }) => [
        p.kind,
        p.holderId,
        p.fence,
        p.permits,
      ]),
    ).toEqual(
      [evicted, kept].map((permit) => ["permit", hashLockId(permit.lockId), permit.fence, 2]),
    );
    const text = noSecret(await cli(["list", "--prefix", key]));
    expect(text.stdout).toMatch(/^PERMIT OF +PERMITS +HOLDER +FENCE +ACQUIRED AT +EXPIRES IN\n/);
    expect(text.stdout).toContain(hashLockId(evicted.lockId));

    const inspected = noSecret(await cli(["inspect", key]));
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toMatch(/^semaphore +\S+\npermits +2 of 2 held\n/);
    expect(inspected.stdout).toContain(hashLockId(kept.lockId));
    const inspectedJson = JSON.parse(noSecret(await cli(["inspect", key, "--json"])).stdout);
    expect(inspectedJson).toMatchObject({ key, held: false, semaphore: { permits: 2 } });
    expect(inspectedJson.semaphore.holders).toHaveLength(2);

    // By fence, as an operator types it (leading zeros optional).
    const byFence = noSecret(
      await cli([
        "release",
        "--force",
        "--yes",
        key,
        "--permit",
        String(BigInt(evicted.fence!)),
        "--json",
      ]),
    );
    expect(byFence.stderr).toBe("");
    expect([byFence.code, JSON.parse(byFence.stdout)]).toEqual([
      0,
      {
        key,
        permit: true,
        released: true,
        fence: evicted.fence,
        holderId: hashLockId(evicted.lockId),
      },
    ]);
    expect((await kept.extend()).ok).toBe(true);
    expect(await evicted.extend()).toEqual({ ok: false });
    expect(isLockError(evicted.signal.reason, "LockLost")).toBe(true);
    next.push(await acquirePermit(backend, options));
    expect(BigInt(next[0]!.fence!)).toBeGreaterThan(BigInt(kept.fence!));
    await expect(acquirePermit(backend, options)).rejects.toMatchObject({
      code: "AcquisitionTimeout",
    });

    // By holder id; then nothing is left to release under it (exit 1).
    const holderId = hashLockId(next[0]!.lockId);
    const byId = noSecret(await cli(["release", "--force", "--yes", key, "--permit", holderId]));
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain(`held by ${holderId}`);
    const again = await cli(["release", "--force", "--yes", key, "--permit", holderId]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain("nothing released");
    const bad = await cli(["release", "--force", "--yes", key, `--permit=${next[0]!.lockId}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--permit must be");
    next.push(await acquirePermit(backend, options));
    expect(BigInt(next[1]!.fence!)).toBeGreaterThan(BigInt(next[0]!.fence!));
  } finally {
    for (const permit of [kept, ...next]) await permit.release();
  }
}

/** Pages through `list` with the CLI (--json), returning every key once per appearance. */
export async function listAllKeys(
  cli: (argv: string[]) => Promise<Run>,
  args: string[],
): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let cursor: string | null = null;
  for (let pages = 1; pages <= 50; pages += 1) {
    const run = await cli(["list", ...args, "--json", ...(cursor ? ["--cursor", cursor] : [])]);
    expect(run.code).toBe(0);
    const page = JSON.parse(run.stdout) as {
      locks: { key: string; fence: string; expiresInMs: number }[];
      cursor: string | null;
    };
    for (const lock of page.locks) {
      expect(Object.keys(lock).sort()).toEqual([
        "acquiredAt",
        "acquiredAtMs",
        "expiresAtMs",
        "expiresInMs",
        "fence",
        "key",
      ]);
      keys.push(lock.key);
    }
    cursor = page.cursor;
    if (!cursor) return { keys, pages };
  }
  throw new Error("the listing did not end");
}

/**
 * Five live `batch:` locks, a released one, an expired one and `other:1`, then the listing of
 * `batch:` in pages of 2 must show each live one exactly once. Returns what to release after.
 */
export async function batchListScenario(
  backend: LockBackend,
  cli: (argv: string[]) => Promise<Run>,
): Promise<{ release(): Promise<void> }> {
  const keys = Array.from({ length: 5 }, (_, i) => `batch:${i}`);
  const held = await Promise.all(
    [...keys, "batch:gone", "other:1"].map((key) => backend.acquire({ key, ttlMs: 60_000 })),
  );
  const gone = held[5];
  if (!gone?.ok) throw new Error("acquire failed");
  await backend.release({ lockId: gone.lockId });
  // A lock that expired (1 ms lease, past the tolerance) is not listed.
  await backend.acquire({ key: "batch:expired", ttlMs: 1 });
  await until(async () => !(await backend.isLocked({ key: "batch:expired" })));

  const paged = await listAllKeys(cli, ["--prefix", "batch:", "--limit", "2"]);
  expect(paged.keys.sort()).toEqual(keys);
  expect(paged.pages).toBeGreaterThanOrEqual(3);
  return {
    async release() {
      for (const result of held) if (result.ok) await backend.release({ lockId: result.lockId });
    },
  };
}

/**
 * `fence` on a never-locked key reads none; after one acquire+release it reads that fence (text
 * and JSON) and `readFence` agrees: nothing moved the counter. Returns the text output.
 */
export async function fenceScenario(
  backend: LockBackend,
  cli: (argv: string[]) => Promise<Run>,
  shared: boolean,
): Promise<string> {
  const key = unique("fence");
  expect(JSON.parse((await cli(["fence", key, "--json"])).stdout)).toEqual({
    key,
    fence: null,
    shared,
  });
  const first = await backend.acquire({ key, ttlMs: 5_000 });
  if (!first.ok || !("fence" in first)) throw new Error("acquire failed");
  await backend.release({ lockId: first.lockId });
  const text = await cli(["fence", key]);
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(new RegExp(`^fence +${first.fence}$`, "m"));
  expect(await readFence(backend, key)).toEqual({ fence: first.fence, shared });
  return text.stdout;
}

/** Polls until `check` holds, for at most `withinMs` (no fixed sleeps). */
export async function until(check: () => Promise<boolean>, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A throwaway redis-server on a free loopback port (for a setting the shared one must not get,
 * such as `--requirepass`). Resolves once it accepts connections; `stop()` ends it.
 */
export async function startRedisServer(
  args: string[],
): Promise<{ host: string; stop(): Promise<void> }> {
  const port = await closedPort();
  const dir = mkdtempSync(path.join(tmpdir(), "syncguard-cli-redis-"));
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...args],
    { stdio: "ignore" },
  );
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  try {
    await until(() => accepts(port));
  } catch (error) {
    await stop();
    throw error;
  }
  return { host: `127.0.0.1:${port}`, stop };
}

/** Whether something accepts TCP connections on the loopback `port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
