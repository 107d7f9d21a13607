// Counting semaphores on Redis (issue 28): SyncGuard's lock.semaphore next to redis-semaphore's
// Semaphore. Each contender runs in a process of its own (semaphore-contender.mjs), 8 workers with
// a connection each on one key with 3 permits, in interleaved rounds (the first contender rotated
// each round). Per contender: sections/s (median over rounds), fairness (fewest / most sections of
// one worker, over the whole run), the longest wait for a permit, and the most holders seen inside.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { rotate } from "../lib/util.mjs";

const WORKER = fileURLToPath(new URL("./semaphore-contender.mjs", import.meta.url));
export const SEMAPHORE_CONTENDERS = [
  "syncguard-node-redis",
  "syncguard-ioredis",
  "redis-semaphore",
];

function runChunk(message) {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.once("message", (reply) => {
      child.kill();
      if (reply.ok) resolve(reply.result);
      else reject(new Error(reply.error));
    });
    child.once("error", reject);
    child.send(message);
  });
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : Number.NaN;
};

export async function semaphoreScenario({ url, rounds, ms, workers = 8, permits = 3, log }) {
  const totals = new Map(
    SEMAPHORE_CONTENDERS.map((name) => [
      name,
      { rates: [], done: new Array(workers).fill(0), longestWait: 0, mostInside: 0, errors: {} },
    ]),
  );
  let label = {};
  for (let round = 0; round < rounds; round++) {
    for (const contender of rotate(SEMAPHORE_CONTENDERS, round)) {
      const result = await runChunk({
        cmd: "run",
        contender,
        url,
        key: `bench:semaphore:${contender}:${round}`,
        workers,
        permits,
        holdMs: 1,
        ms,
      });
      label = { ...label, [contender]: result.label };
      const total = totals.get(contender);
      const sections = result.done.reduce((a, b) => a + b, 0);
      total.rates.push(sections / result.seconds);
      result.done.forEach((n, i) => {
        total.done[i] += n;
      });
      total.longestWait = Math.max(total.longestWait, ...result.longestWait);
      total.mostInside = Math.max(total.mostInside, result.mostInside);
      for (const [name, n] of Object.entries(result.errors)) {
        total.errors[name] = (total.errors[name] ?? 0) + n;
      }
    }
    log(`  semaphore round ${round + 1}/${rounds}`);
  }
  const reference = median(totals.get("redis-semaphore").rates);
  return SEMAPHORE_CONTENDERS.map((name) => {
    const total = totals.get(name);
    const rate = median(total.rates);
    return {
      name,
      label: label[name],
      opsPerSec: rate,
      vsSemaphore: rate / reference,
      fairness: Math.min(...total.done) / Math.max(...total.done),
      longestWaitMs: total.longestWait,
      mostInside: total.mostInside,
      errors: total.errors,
    };
  });
}
