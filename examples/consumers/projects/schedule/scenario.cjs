// Six instances of one job on one memory backend, two per scheduler (node-cron 4 through the run
// coordinator, croner and cron through runOnce ticks), every second: each slot must run once.
// Prints one JSON line; the test checks it. Shared by main.mjs and main.cjs.

const SLOTS = 2;
const INSTANCES = 6;

async function oncePerSlot({ schedule, core, memory, nodeCron, Cron, CronJob, format, resolved }) {
  const backend = memory.createMemoryBackend();
  const name = `consumer-${format}`;
  const events = [];
  const runs = [];
  const onEvent = (event) => events.push(event);
  const locks = [];
  const lockFor = () => {
    const lock = core.createLock(backend);
    locks.push(lock);
    return lock;
  };
  const job = (by) => (run) => {
    runs.push({ by, slot: run.slot.getTime(), fence: run.fence });
  };
  const stops = [];
  for (const by of ["node-cron 1", "node-cron 2"]) {
    const coordinator = schedule.createRunCoordinator(lockFor(), { onEvent });
    const task = nodeCron.schedule("* * * * * *", coordinator.task(job(by)), {
      name,
      distributed: true,
      runCoordinator: coordinator,
      distributedLease: 5_000,
    });
    stops.push(() => task.destroy());
  }
  const options = { name, ttlMs: 5_000, onEvent };
  for (const by of ["croner 1", "croner 2"]) {
    const task = new Cron("* * * * * *", schedule.runOnce(lockFor(), options, job(by)));
    stops.push(() => task.stop());
  }
  for (const by of ["cron 1", "cron 2"]) {
    const task = CronJob.from({
      cronTime: "* * * * * *",
      onTick: schedule.runOnce(lockFor(), options, job(by)),
      start: true,
    });
    stops.push(() => task.stop());
  }

  const decided = () => {
    const counts = new Map();
    for (const e of events) {
      if (e.type !== "ran" && e.type !== "skipped") continue;
      counts.set(e.slot.getTime(), (counts.get(e.slot.getTime()) ?? 0) + 1);
    }
    return [...counts].filter(([, n]) => n === INSTANCES).map(([slot]) => slot);
  };
  const deadline = performance.now() + 20_000;
  while (decided().length < SLOTS && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const stop of stops) await stop();
  await Promise.all(locks.map((lock) => lock.close()));

  const slots = decided();
  const runsPerSlot = slots.map((slot) => runs.filter((r) => r.slot === slot).length);
  const ok =
    slots.length >= SLOTS &&
    runsPerSlot.every((n) => n === 1) &&
    events.every((e) => e.type !== "failed");
  console.log(
    JSON.stringify({
      ok,
      format,
      resolved,
      slots: slots.length,
      runsPerSlot,
      ranBy: [...new Set(runs.map((r) => r.by.split(" ")[0]))].sort(),
      failed: events.filter((e) => e.type === "failed").map((e) => String(e.error)),
    }),
  );
  if (!ok) process.exitCode = 1;
}

module.exports = { oncePerSlot };
