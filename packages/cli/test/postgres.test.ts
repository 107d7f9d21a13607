import { createPostgresBackend, type PostgresBackend, setupSchema } from "@syncguard/postgres";
import { Pool } from "pg";
import {
  batchListScenario,
  closedPort,
  fenceScenario,
  forceReleaseScenario,
  permitScenario,
  type Run,
  runCli,
  spawnCli,
  unique,
} from "./helpers";

function postgresUrl(): string {
  const url = process.env.SYNCGUARD_POSTGRES_URL;
  if (!url) throw new Error("SYNCGUARD_POSTGRES_URL is not set: run through scripts/services.mjs");
  return url;
}

// Every command through @syncguard/postgres/operator, connecting with node-postgres and with
// postgres.js (--client).
describe.each(["pg", "postgres"])("syncguard on PostgreSQL (--client %s)", (library) => {
  let pool: Pool;
  let backend: PostgresBackend;
  // A schema of its own, so the listing sees only this file's locks.
  const schema = unique(`cli_${library}`)
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_");
  const store = () => ["--url", postgresUrl(), "--schema", schema, "--client", library];
  const cli = (argv: string[]): Promise<Run> => runCli([...argv, ...store()]);

  beforeAll(async () => {
    pool = new Pool({ connectionString: postgresUrl(), max: 4 });
    await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await setupSchema(pool, { schema });
    backend = createPostgresBackend(pool, { schema, notify: false });
  });
  afterAll(async () => {
    await backend.close();
    await pool.end();
  });

  it("inspect: a held key shows its fence (no lockId); a free key exits 1", async () => {
    const held = await backend.acquire({ key: "report:daily", ttlMs: 60_000 });
    if (!held.ok) throw new Error("acquire failed");
    const text = await cli(["inspect", "report:daily"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^key {10}report:daily\nheld {9}yes\nfence {8}\d{15}\n/);
    expect(text.stdout).not.toContain(held.lockId);
    const json = JSON.parse((await cli(["inspect", "report:daily", "--json"])).stdout);
    expect(json).toMatchObject({ key: "report:daily", held: true, fence: held.fence });
    await backend.release({ lockId: held.lockId });
    expect((await cli(["inspect", "report:daily"])).code).toBe(1);
  });

  it("list: pages of 2 return every live lock once; released, expired and other keys absent", async () => {
    const batch = await batchListScenario(backend, cli);
    const json = JSON.parse((await cli(["list", "--prefix", "other:", "--json"])).stdout);
    expect(JSON.stringify(json)).not.toMatch(/lockId"/);
    expect(json.locks.map((lock: { key: string }) => lock.key)).toEqual(["other:1"]);
    await batch.release();
  });

  it("fence: the counter of the key's route, read without moving it", async () => {
    await fenceScenario(backend, cli, true);
  });

  it("release --force frees a key held by a live lock(): LockLost, fence counter untouched, next fence higher", async () => {
    await forceReleaseScenario(backend, cli, unique("stuck"));
  });

  it("list, inspect and release --force --permit show a semaphore's holders and force one permit out", async () => {
    await permitScenario(backend, cli, unique("workers"));
  });

  it("the built bin: --json and exit codes; an unreachable server is exit 3 and its password is never shown", async () => {
    const key = unique("bin");
    const held = await backend.acquire({ key, ttlMs: 60_000 });
    if (!held.ok) throw new Error("acquire failed");
    const inspect = await spawnCli(["inspect", key, "--json", ...store()]);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout)).toMatchObject({ key, held: true, fence: held.fence });
    const released = await spawnCli(["release", "--force", "--yes", key, ...store()]);
    expect(released.code).toBe(0);
    expect(await backend.isLocked({ key })).toBe(false);

    const password = "cli-secret-pw";
    const nowhere = `postgres://app:${password}@127.0.0.1:${await closedPort()}/db`;
    const down = await spawnCli([
      "inspect",
      key,
      "--url",
      nowhere,
      "--client",
      library,
      "--timeout-ms",
      "2000",
    ]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(
      /cannot connect to PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1/,
    );
    expect(down.stderr + down.stdout).not.toContain(password);
  });

  it("usage: another store's options, several URLs and migrate-2x are refused before connecting", async () => {
    const alone = await runCli(["inspect", "k", "--schema", "x", "--url", "redis://127.0.0.1:1"]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--schema is not an option of inspect on Redis");
    const mixed = await runCli(["inspect", "k", ...store(), "--cluster"]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain("--cluster is not an option of inspect on PostgreSQL");
    const two = await runCli(["inspect", "k", ...store(), "--url", postgresUrl()]);
    expect(two.code).toBe(2);
    expect(two.stderr).toContain("PostgreSQL takes one --url");
    const bad = await runCli(["inspect", "k", "--url", "http://user:topsecret@host/"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      "--url must be a redis://, rediss:// or postgres:// URL, not http:",
    );
    expect(bad.stderr).not.toContain("topsecret");
    const migrate = await runCli(["migrate-2x", ...store()]);
    expect(migrate.code).toBe(2);
    expect(migrate.stderr).toContain("PostgreSQL has no 2.x migration");
  });
});
