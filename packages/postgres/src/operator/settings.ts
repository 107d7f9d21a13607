import { LockError } from "@syncguard/core";
import {
  chooseClientLibrary,
  connectionUrlSecrets,
  MISENCODED_URL_HINT,
  type OperatorFlag,
  type OperatorInput,
  type OperatorPlan,
  secretSettings,
  urlProblem,
} from "@syncguard/core/operator";
import { POSTGRES_DEFAULTS, resolveConfig } from "../config";
import { installed, loadPeer, resolvePeer } from "./peer";
import { openSession } from "./session";

/** The flags of every command. */
export const FLAGS: readonly OperatorFlag[] = [
  {
    name: "url",
    type: "string",
    multiple: true,
    value: "URL",
    description: "postgres:// or postgresql:// URL.",
  },
  {
    name: "schema",
    type: "string",
    value: "S",
    description: `The backend's schema (default "${POSTGRES_DEFAULTS.schema}").`,
  },
  {
    name: "table-prefix",
    type: "string",
    value: "P",
    description: `The backend's tablePrefix (default "${POSTGRES_DEFAULTS.tablePrefix}").`,
  },
  {
    name: "client",
    type: "string",
    value: "LIB",
    description: "pg (node-postgres) or postgres (postgres.js) (default: pg if installed).",
  },
];

export type ClientLibrary = "pg" | "postgres";

/** What `open` needs, validated. */
export interface PostgresSettings {
  readonly url: string;
  readonly library: ClientLibrary;
  readonly schema?: string;
  readonly tablePrefix?: string;
  readonly timeoutMs: number;
  readonly logger: OperatorInput["logger"];
}

const invalid = (message: string) => new LockError("InvalidArgument", message);

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;

/** Reads the flags before any I/O; see `StoreOperator.configure`. */
export function configure(input: OperatorInput): OperatorPlan {
  const { flags } = input;
  const urls = Array.isArray(flags.url) ? flags.url : [];
  if (urls.length !== 1) throw invalid("PostgreSQL takes one --url postgres://...");
  const url = urls[0] as string;
  if (!/^postgres(ql)?:\/\/./.test(url)) {
    throw invalid("--url must be a postgres:// or postgresql:// URL");
  }
  const problem = urlProblem(url, "--url");
  if (problem !== undefined) throw invalid(problem);
  const schema = text(flags.schema);
  const tablePrefix = text(flags["table-prefix"]);
  resolveConfig({
    ...(schema !== undefined ? { schema } : {}),
    ...(tablePrefix !== undefined ? { tablePrefix } : {}),
  });
  const library = chooseLibrary(text(flags.client));
  const parsed = readUrl(library, url);
  return {
    secrets: [...new Set([...connectionUrlSecrets(url), ...parsed.secrets])],
    target: parsed.target,
    open: () =>
      openSession({
        url,
        library,
        ...(schema !== undefined ? { schema } : {}),
        ...(tablePrefix !== undefined ? { tablePrefix } : {}),
        timeoutMs: input.timeoutMs,
        logger: input.logger,
      }),
  };
}

/** The libraries `--client` names, the default first. */
const LIBRARIES = [
  { name: "pg", label: "pg (node-postgres)" },
  { name: "postgres", label: "postgres (postgres.js)" },
] as const;

/** --client, or the first library installed. */
const chooseLibrary = (wanted: string | undefined): ClientLibrary =>
  chooseClientLibrary(wanted, LIBRARIES, installed, "PostgreSQL");

/**
 * The URL as the installed client reads it: node-postgres through its own parser
 * (pg-connection-string, which takes `?password=` and every other query parameter) and its
 * connection parameters (which add PGPASSWORD); postgres.js through its options (PGPASSWORD
 * too). A URL the client cannot read is refused without quoting it.
 */
function readUrl(library: ClientLibrary, url: string): { secrets: string[]; target: string } {
  try {
    if (library === "pg") {
      const pg = loadPeer<typeof import("pg")>("pg");
      // pg's own parser: its dependency, resolved from where pg is.
      const parser = loadPeer<{ parse(url: string): Record<string, unknown> }>(
        resolvePeer("pg-connection-string", "pg"),
      );
      const client = new pg.Client({ connectionString: url });
      const secrets = [
        ...secretSettings(parser.parse(url)),
        ...secretSettings({ password: client.password }),
      ];
      return { secrets, target: describe(client, secrets.length > 0) };
    }
    const postgresJs = loadPeer<typeof import("postgres")>("postgres");
    const { options } = postgresJs(url, { max: 1 });
    const secrets = [
      ...secretSettings({ pass: options.pass }),
      ...secretSettings(options.connection),
    ];
    const target = describe(
      {
        user: options.user,
        host: options.host.join(","),
        port: options.port.join(","),
        database: options.database,
      },
      secrets.length > 0,
    );
    return { secrets, target };
  } catch (error) {
    if (error instanceof LockError) throw error;
    throw invalid(`--url cannot be read as given: ${MISENCODED_URL_HINT}`);
  }
}

/** `postgres://user:***@host:port/database`, from the parsed settings (nothing else of the URL). */
function describe(
  settings: { user?: unknown; host?: unknown; port?: unknown; database?: unknown },
  hasPassword: boolean,
): string {
  const user = settings.user ? `${String(settings.user)}${hasPassword ? ":***" : ""}@` : "";
  const port = settings.port ? `:${String(settings.port)}` : "";
  const database = settings.database ? `/${String(settings.database)}` : "";
  return `postgres://${user}${String(settings.host ?? "")}${port}${database}`;
}
