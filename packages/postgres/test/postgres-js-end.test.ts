import { isLockError } from "@syncguard/core";
import postgres from "postgres";
import { createPostgresBackend, setupSchema } from "../src";
import { freshSchema, postgresUrl, uniqueKey } from "./helpers";

/**
 * postgres.js 3.4 drops a query cancelled while its pool is still opening the connection, but
 * the connection keeps waiting for it, so `sql.end()` never resolves. An abort of the very first
 * acquire on a fresh client must not do that to the caller's shutdown.
 */
const schema = freshSchema("pgjs_end");

beforeAll(async () => {
  const setup = postgres(postgresUrl(), { max: 1, onnotice: () => {} });
  await setupSchema(setup, { schema });
  await setup.end();
});
afterAll(async () => {
  const cleanup = postgres(postgresUrl(), { max: 1, onnotice: () => {} });
  await cleanup.unsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await cleanup.end();
});

it("an acquire aborted before the client's first connection is open leaves sql.end() able to finish", async () => {
  const sql = postgres(postgresUrl(), { max: 4, onnotice: () => {} });
  const backend = createPostgresBackend(sql, { schema });
  const controller = new AbortController();
  const attempt = backend.acquire({
    key: uniqueKey("end"),
    ttlMs: 1_000,
    signal: controller.signal,
  });
  controller.abort();
  const error = await attempt.catch((e: unknown) => e);
  expect(isLockError(error, "Aborted")).toBe(true);
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    sql.end().then(() => "ended"),
    new Promise((resolve) => {
      timer = setTimeout(() => resolve("still pending after 10 s"), 10_000);
    }),
  ]);
  clearTimeout(timer);
  expect(ended).toBe("ended");
  await backend.close();
});
