import { LockError } from "@syncguard/core";
import {
  chooseClientLibrary,
  connectionUrlSecrets,
  type OperatorFlag,
  type OperatorInput,
  type OperatorPlan,
  printableUrl,
  secretSettings,
  urlProblem,
} from "@syncguard/core/operator";
import { DEFAULT_KEY_PREFIX, resolveConfig } from "../config";
import { resolveMigrationOptions } from "../migrate/options";
import { installed, loadPeer } from "./peer";
import { openSession } from "./session";
import { redisUrlProblem } from "./url-check";

/** The flags of every command. */
export const FLAGS: readonly OperatorFlag[] = [
  {
    name: "url",
    type: "string",
    multiple: true,
    value: "URL",
    description: "redis:// or rediss:// URL (default: $REDIS_URL); one per root node of a cluster.",
  },
  { name: "cluster", type: "boolean", description: "Connect as a Redis Cluster client." },
  {
    name: "key-prefix",
    type: "string",
    value: "P",
    aliases: ["new-prefix"],
    description: `The backend's keyPrefix (default "${DEFAULT_KEY_PREFIX}").`,
  },
  {
    name: "client",
    type: "string",
    value: "LIB",
    description: "redis (node-redis) or ioredis (default: redis if installed).",
  },
];

/** The extra flags of `migrate-2x`. */
export const MIGRATION_FLAGS: readonly OperatorFlag[] = [
  {
    name: "old-key-prefix",
    type: "string",
    value: "P",
    aliases: ["old-prefix"],
    description: `The keyPrefix syncguard 2.x used (default "${DEFAULT_KEY_PREFIX}").`,
  },
];

export type ClientLibrary = "redis" | "ioredis";

/** What `open` needs, validated. */
export interface RedisSettings {
  readonly urls: readonly string[];
  readonly cluster: boolean;
  readonly keyPrefix: string;
  readonly oldKeyPrefix?: string;
  readonly library: ClientLibrary;
  readonly timeoutMs: number;
  readonly logger: OperatorInput["logger"];
}

const invalid = (message: string) => new LockError("InvalidArgument", message);

const text = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;

/** Reads the flags (and REDIS_URL) before any I/O; see `StoreOperator.configure`. */
export function configure(input: OperatorInput): OperatorPlan {
  const { flags, env } = input;
  const given = flags.url;
  const urls = Array.isArray(given) ? [...given] : env.REDIS_URL ? [env.REDIS_URL] : [];
  if (urls.length === 0) throw invalid("give --url redis://host:port (or set REDIS_URL)");
  const cluster = flags.cluster === true;
  if (urls.length > 1 && !cluster) {
    throw invalid("several --url are root nodes of a Redis Cluster: add --cluster");
  }
  const library = chooseLibrary(text(flags.client));
  for (const url of urls) checkUrl(url, library, cluster);
  const { keyPrefix } = resolveConfig({
    keyPrefix: text(flags["key-prefix"]) ?? DEFAULT_KEY_PREFIX,
  });
  const oldKeyPrefix = text(flags["old-key-prefix"]);
  if (oldKeyPrefix !== undefined) resolveMigrationOptions({ oldKeyPrefix, keyPrefix });
  const settings: RedisSettings = {
    urls,
    cluster,
    keyPrefix,
    ...(oldKeyPrefix !== undefined ? { oldKeyPrefix } : {}),
    library,
    timeoutMs: input.timeoutMs,
    logger: input.logger,
  };
  return {
    secrets: [
      ...new Set(
        urls.flatMap((url) => [...connectionUrlSecrets(url), ...librarySecrets(library, url)]),
      ),
    ],
    target: urls.map((url) => printableUrl(url) ?? "").join(", "),
    open: () => openSession(settings),
  };
}

/**
 * A redis:// or rediss:// URL the client reads as written (url-check.ts); nothing of it is
 * quoted back.
 */
function checkUrl(url: string, library: ClientLibrary, cluster: boolean): void {
  if (!/^rediss?:\/\/./.test(url)) {
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
    throw invalid(`--url must be a redis:// or rediss:// URL${scheme ? `, not ${scheme}` : ""}`);
  }
  const problem = urlProblem(url, "--url") ?? redisUrlProblem(new URL(url), library, cluster);
  if (problem !== undefined) throw invalid(problem);
}

/** The libraries `--client` names, the default first. */
const LIBRARIES = [
  { name: "redis", label: "redis (node-redis)" },
  { name: "ioredis", label: "ioredis" },
] as const;

/** --client, or the first library installed. */
const chooseLibrary = (wanted: string | undefined): ClientLibrary =>
  chooseClientLibrary(wanted, LIBRARIES, installed, "Redis");

/**
 * The secrets the client library itself reads from the URL (an unconnected client's options):
 * ioredis also takes `?password=` and sentinel passwords from the query string.
 */
function librarySecrets(library: ClientLibrary, url: string): string[] {
  try {
    if (library === "redis") {
      const { createClient } = loadPeer<typeof import("redis")>("redis");
      return secretSettings(createClient({ url }).options);
    }
    const { Redis } = loadPeer<typeof import("ioredis")>("ioredis");
    return secretSettings(new Redis(url, { lazyConnect: true }).options);
  } catch {
    return []; // the library cannot read it: connecting fails without reaching a server
  }
}
