/**
 * No password of the connection settings is ever printed: whatever form the URL takes (user
 * info, `?password=`, `?sslpassword=`, percent-encoded or raw special characters, redis://,
 * rediss://, postgres://, postgresql://), whichever command runs and however it fails (refused,
 * wrong password on a real server, a server that never answers), stdout and stderr hold none of
 * its spellings. Many URLs in-process against real servers (property-based), and a bounded
 * matrix of runs of the built bin in child processes (which also catch what a client library
 * writes to the process's own streams).
 */

import { connectionUrlSecrets, isMisreadUrl } from "@syncguard/core/operator";
import fc from "fast-check";
import { createClient } from "redis";
import { Scrubber } from "../src/scrub";
import { closedPort, type Run, runCli, silentServer, spawnCli } from "./helpers";

const SPECIALS = [..."/+@:?#%&=!$'(),;[]~^`\"\\{}|<> "];
const ALNUM = [..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._"];
const OTHER = ["é", "ü", "ß", "🔒", "к"];

/** Passwords as generated ones look (and worse): letters, digits, reserved and non-ASCII characters. */
const password = fc
  .string({
    unit: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...ALNUM) },
      { weight: 2, arbitrary: fc.constantFrom(...SPECIALS) },
      { weight: 1, arbitrary: fc.constantFrom(...OTHER) },
    ),
    minLength: 6,
    maxLength: 24,
  })
  .filter((pw) => !pw.includes("*") && pw.trim() === pw);

/** `plain` as the WHATWG URL parser writes a password. */
function userinfoEncoded(plain: string): string {
  const url = new URL("x://h");
  url.password = plain;
  return url.password;
}

/** The spellings of a password that would give it away. */
const leakForms = (pw: string) =>
  [...new Set([pw, encodeURIComponent(pw), userinfoEncoded(pw)])].filter((f) => f.length >= 4);

function expectNoLeak(pw: string, run: Run, context: string): void {
  const printed = run.stdout + run.stderr;
  for (const form of leakForms(pw)) {
    if (printed.includes(form)) {
      throw new Error(
        `${context}: the password (${JSON.stringify(form)}) was printed:\n${printed}`,
      );
    }
  }
}

const encodings = {
  component: encodeURIComponent,
  whatwg: userinfoEncoded,
  lowerHex: (pw: string) => encodeURIComponent(pw).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
  raw: (pw: string) => pw,
};
type Encoding = keyof typeof encodings;

/** URL forms, given a host:port, a user and the password as it is to be written. */
const REDIS_FORMS = {
  userPass: (h: string, u: string, p: string) => `redis://${u}:${p}@${h}`,
  passOnly: (h: string, _u: string, p: string) => `redis://:${p}@${h}`,
  tls: (h: string, u: string, p: string) => `rediss://${u}:${p}@${h}`,
  query: (h: string, u: string, p: string) => `redis://${u}@${h}/0?password=${p}`,
};
const POSTGRES_FORMS = {
  userPass: (h: string, u: string, p: string) => `postgres://${u}:${p}@${h}/postgres`,
  postgresql: (h: string, u: string, p: string) => `postgresql://${u}:${p}@${h}/postgres`,
  query: (h: string, u: string, p: string) => `postgres://${u}@${h}/postgres?password=${p}`,
  // With a password as well: node-postgres leaves its socket open when the server asks for a
  // password and it has none (the in-process runs would keep jest waiting on it).
  sslpassword: (h: string, u: string, p: string) =>
    `postgres://${u}:wrong@${h}/postgres?sslmode=disable&sslpassword=${p}`,
};

const COMMANDS = [["inspect", "k"], ["list"], ["fence", "k"], ["release", "--force", "--yes", "k"]];

function redisHost(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error("REDIS_URL is not set: run through scripts/services.mjs");
  return new URL(url).host;
}

function postgresHost(): string {
  const url = process.env.SYNCGUARD_POSTGRES_URL;
  if (!url) throw new Error("SYNCGUARD_POSTGRES_URL is not set: run through scripts/services.mjs");
  return new URL(url).host;
}

// A Redis user whose real password is not the one the URLs give: a real WRONGPASS.
const ACL_USER = `sg-cli-secrets-${process.pid}`;
let admin: ReturnType<typeof createClient>;
let refused: string;

beforeAll(async () => {
  admin = createClient({ url: process.env.REDIS_URL });
  admin.on("error", () => {});
  await admin.connect();
  await admin.sendCommand([
    "ACL",
    "SETUSER",
    ACL_USER,
    "on",
    `>right-${process.pid}`,
    "~*",
    "+@all",
  ]);
  refused = `127.0.0.1:${await closedPort()}`;
});
afterAll(async () => {
  await admin.sendCommand(["ACL", "DELUSER", ACL_USER]);
  await admin.close();
});

describe("the scrubber (in-process, pure)", () => {
  it("masks every spelling of every password the URL parser finds, in any text quoting the URL", () => {
    fc.assert(
      fc.property(
        password,
        fc.constantFrom(...(Object.keys(encodings) as Encoding[])),
        fc.constantFrom(...Object.values(REDIS_FORMS), ...Object.values(POSTGRES_FORMS)),
        (pw, encoding, form) => {
          const url = form("db.internal:5432", "app", encodings[encoding](pw));
          // The CLI refuses a URL it cannot read as given before any library sees it (below).
          fc.pre(!isMisreadUrl(url));
          const scrubber = new Scrubber();
          scrubber.add(connectionUrlSecrets(url));
          const quoted = [
            url,
            `Error: could not connect to ${url} (timeout)`,
            JSON.stringify({ url }),
            safeHref(url),
          ];
          for (const text of quoted) {
            const clean = scrubber.scrub(text);
            for (const leak of leakForms(pw)) {
              if (clean.includes(leak)) {
                throw new Error(`${JSON.stringify(leak)} left in ${JSON.stringify(clean)}`);
              }
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("keeps short secrets out of stderr and leaves data on stdout alone", () => {
    const scrubber = new Scrubber();
    scrubber.add(["pw", "longer-secret"]);
    expect(scrubber.scrub("auth pw failed")).toBe("auth *** failed");
    expect(scrubber.scrubData('{"key":"pw:1","note":"longer-secret"}')).toBe(
      '{"key":"pw:1","note":"***"}',
    );
  });
});

function safeHref(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

describe("syncguard never prints a password (in-process, real servers)", () => {
  it("Redis: refused, or a real server refusing the password", async () => {
    await fc.assert(
      fc.asyncProperty(
        password,
        fc.constantFrom(...(Object.keys(encodings) as Encoding[])),
        fc.constantFrom(...(Object.keys(REDIS_FORMS) as (keyof typeof REDIS_FORMS)[])),
        fc.constantFrom("refused", "wrong password"),
        fc.constantFrom(...COMMANDS),
        fc.constantFrom("redis", "ioredis"),
        async (pw, encoding, form, failure, command, client) => {
          const host = failure === "refused" ? refused : redisHost();
          const url = REDIS_FORMS[form](host, ACL_USER, encodings[encoding](pw));
          const run = await runCli([
            ...command,
            "--url",
            url,
            "--client",
            client,
            "--timeout-ms",
            "1000",
          ]);
          expectNoLeak(
            pw,
            run,
            `${command[0]} --url <${form}, ${encoding}> --client ${client} (${failure})`,
          );
        },
      ),
      { numRuns: 40 },
    );
  });

  it("PostgreSQL: refused, or a real server refusing the password", async () => {
    await fc.assert(
      fc.asyncProperty(
        password,
        fc.constantFrom(...(Object.keys(encodings) as Encoding[])),
        fc.constantFrom(...(Object.keys(POSTGRES_FORMS) as (keyof typeof POSTGRES_FORMS)[])),
        fc.constantFrom("refused", "wrong password"),
        fc.constantFrom(...COMMANDS),
        fc.constantFrom("pg", "postgres"),
        async (pw, encoding, form, failure, command, client) => {
          const host = failure === "refused" ? refused : postgresHost();
          const url = POSTGRES_FORMS[form](host, "postgres", encodings[encoding](pw));
          const run = await runCli([
            ...command,
            "--url",
            url,
            "--client",
            client,
            "--timeout-ms",
            "3000",
          ]);
          expectNoLeak(
            pw,
            run,
            `${command[0]} --url <${form}, ${encoding}> --client ${client} (${failure})`,
          );
          expect([2, 3]).toContain(run.code);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("syncguard never prints a password (the built bin, bounded matrix)", () => {
  let silent: Awaited<ReturnType<typeof silentServer>>;
  beforeAll(async () => {
    silent = await silentServer();
  });
  afterAll(() => silent.close());

  // Passwords as the issue reports them, and a generated-looking one with every troublemaker.
  const QUERY = "QpSecret9";
  const SLASHED = "Ab/cd+ef";
  const NASTY = "Zx9/+?#@%:ü";

  type Case = {
    store: "redis" | "postgres";
    client: string;
    failure: "refused" | "wrong password" | "no answer";
    url: (host: string) => string;
    pw: string;
    /** The exit code, when it does not depend on the client library. */
    code?: number;
  };
  const cases: Case[] = [];
  const failures = ["refused", "wrong password", "no answer"] as const;
  for (const failure of failures) {
    for (const client of ["pg", "postgres"]) {
      cases.push(
        {
          store: "postgres",
          client,
          failure,
          pw: QUERY,
          code: 3,
          url: (h) => `postgres://postgres@${h}/postgres?password=${QUERY}`,
        },
        {
          store: "postgres",
          client,
          failure,
          pw: NASTY,
          code: 3,
          url: (h) =>
            `postgresql://postgres:${encodeURIComponent(NASTY)}@${h}/postgres?sslmode=disable&sslpassword=${QUERY}`,
        },
      );
    }
    for (const client of ["redis", "ioredis"]) {
      cases.push(
        {
          store: "redis",
          client,
          failure,
          pw: NASTY,
          code: 3,
          url: (h) => `redis://${ACL_USER}:${encodeURIComponent(NASTY)}@${h}`,
        },
        // node-redis reads no password from the query (it may then connect without one).
        {
          store: "redis",
          client,
          failure,
          pw: QUERY,
          url: (h) => `redis://${ACL_USER}@${h}/0?password=${QUERY}`,
        },
      );
    }
  }
  // Unencoded "/" and "+": the URL cannot be read as given; a usage error that does not quote it.
  cases.push(
    {
      store: "postgres",
      client: "pg",
      failure: "refused",
      pw: SLASHED,
      code: 2,
      url: (h) => `postgres://app:${SLASHED}@${h}/db`,
    },
    {
      store: "redis",
      client: "redis",
      failure: "refused",
      pw: SLASHED,
      code: 2,
      url: (h) => `redis://:${SLASHED}@${h}`,
    },
    {
      store: "redis",
      client: "ioredis",
      failure: "no answer",
      pw: NASTY,
      code: 3,
      url: (h) => `rediss://:${encodeURIComponent(NASTY)}@${h}`,
    },
  );

  it.each(cases.map((c, i) => [i, c.store, c.client, c.failure, c] as const))(
    "case %i: %s (--client %s), %s",
    async (i, store, client, failure, c) => {
      const host =
        failure === "refused"
          ? refused
          : failure === "no answer"
            ? `127.0.0.1:${silent.port}`
            : store === "redis"
              ? redisHost()
              : postgresHost();
      const command = COMMANDS[i % COMMANDS.length] as string[];
      const run = await spawnCli([
        ...command,
        "--url",
        c.url(host),
        "--client",
        client,
        "--timeout-ms",
        "800",
      ]);
      expectNoLeak(c.pw, run, `${store} --client ${client} ${failure}`);
      if (c.code !== undefined) {
        expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: c.code });
        expect(run.stderr).toMatch(/^syncguard: /);
      }
    },
  );
});
