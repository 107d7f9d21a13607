// Scenario 1b: where the server time of one uncontended acquire + release goes. Server CPU per
// request (INFO cpu deltas), one connection, sequential, cases interleaved in rounds. The first
// rows are what each side sends; the "+ …" rows are one-command scripts, so their cost over
// `EVAL return 1` is what one command inside a script adds.
import { createClient } from "redis";
import { createRedisBackend } from "../lib/contenders.mjs";

const COMPARE_AND_DELETE =
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
const FENCED_ACQUIRE =
  "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return redis.call('INCR', KEYS[2]) end return 0";
const RECORD = "abcdefghijklmnopqrstuvwxyz0123456789|0|1|1764480000000|1764480000000|s1b:key";

const PROBES = [
  ["script: return 1", "return 1"],
  ["script: + TIME", "redis.call('TIME') return 1"],
  ["script: + GET (missing key)", "redis.call('GET', KEYS[1]) return 1"],
  ["script: + GETDEL (missing key)", "redis.call('GETDEL', KEYS[1]) return 1"],
  ["script: + INCR (new key)", "redis.call('INCR', KEYS[1]) return 1"],
  ["script: + SET PX (new key)", `redis.call('SET', KEYS[1], '${RECORD}', 'PX', 31000) return 1`],
  [
    "script: + SET NX PXAT (new key)",
    `redis.call('SET', KEYS[1], '${RECORD}', 'NX', 'PXAT', 9999999999999) return 1`,
  ],
  ["script: + SETRANGE (1 byte)", `redis.call('SETRANGE', KEYS[1], 37, '1') return 1`],
  ["script: + PUBLISH (no listener)", "redis.call('PUBLISH', KEYS[1], 'released') return 1"],
  ["script: + ZPOPMIN (missing key)", "redis.call('ZPOPMIN', KEYS[1]) return 1"],
];

export async function scriptCosts({ url, admin, rounds, opsPerRound, log }) {
  const client = createClient({ url });
  client.on("error", () => {});
  await client.connect();
  const backend = createRedisBackend(client, { keyPrefix: "s1b" });
  const cadSha = await client.scriptLoad(COMPARE_AND_DELETE);
  const fencedSha = await client.scriptLoad(FENCED_ACQUIRE);
  let seq = 0;
  const fresh = () => `s1b:${seq++}`;
  const cases = [
    { name: "PING (a request, nothing else)", run: () => client.ping() },
    {
      name: "floor acquire: SET NX PX",
      run: () => client.set(fresh(), "token", { NX: true, PX: 30_000 }),
    },
    {
      name: "floor release: compare-and-delete",
      setup: async () => {
        const keys = [];
        for (let i = 0; i < opsPerRound; i++) {
          const key = fresh();
          await client.set(key, "token", { PX: 30_000 });
          keys.push(key);
        }
        return keys;
      },
      run: (key) => client.evalSha(cadSha, { keys: [key], arguments: ["token"] }),
    },
    {
      name: "fenced floor acquire: SET NX PX + INCR",
      run: () =>
        client.evalSha(fencedSha, {
          keys: [fresh(), `s1b:fence:${seq % 16}`],
          arguments: ["token", "30000"],
        }),
    },
    {
      name: "SyncGuard acquire (new key)",
      run: () => backend.acquire({ key: fresh(), ttlMs: 30_000 }),
    },
    {
      name: "SyncGuard release (uncontended)",
      setup: async () => {
        const ids = [];
        for (let i = 0; i < opsPerRound; i++) {
          const held = await backend.acquire({ key: fresh(), ttlMs: 30_000 });
          if (held.ok) ids.push(held.lockId);
        }
        return ids;
      },
      run: (lockId) => backend.release({ lockId }),
    },
  ];
  for (const [name, body] of PROBES) {
    const sha = await client.scriptLoad(body);
    cases.push({ name, run: () => client.evalSha(sha, { keys: [fresh()], arguments: [] }) });
  }
  const totals = new Map(cases.map((c) => [c.name, 0]));
  for (const c of cases) {
    if (!c.setup) for (let i = 0; i < 200; i++) await c.run(); // warm-up
  }
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const inputs = c.setup ? await c.setup() : undefined;
      const before = await admin.serverCpuMicros();
      for (let i = 0; i < opsPerRound; i++) await c.run(inputs?.[i]);
      totals.set(c.name, totals.get(c.name) + ((await admin.serverCpuMicros()) - before));
    }
    log(`  round ${r + 1}/${rounds}`);
  }
  await backend.close();
  await (client.close ? client.close() : client.quit());
  const perOp = (name) => totals.get(name) / (rounds * opsPerRound);
  const base = perOp("script: return 1");
  return cases.map((c) => ({
    name: c.name,
    serverUsPerRequest: perOp(c.name),
    addedOverEmptyScriptUs: c.name.startsWith("script: +") ? perOp(c.name) - base : undefined,
  }));
}
