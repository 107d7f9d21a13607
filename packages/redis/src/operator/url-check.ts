import type { ClientLibrary } from "./settings";

/**
 * What a Redis client would do differently from what the URL says, or undefined: the path is the
 * database number (a name is refused by node-redis and silently read as 0 by ioredis), a Cluster
 * has only database 0, and a query parameter the client does not read (`?sslcert=`, a
 * PostgreSQL habit) would be dropped in silence. Only parameter names are quoted, never values.
 */
export function redisUrlProblem(
  url: URL,
  library: ClientLibrary,
  cluster: boolean,
): string | undefined {
  const path = url.pathname === "/" ? "" : url.pathname.slice(1);
  const database = url.searchParams.get("db") ?? path;
  if (path !== "" && !/^\d+$/.test(path)) {
    return "the path of --url must be a database number (/0, /1, ...) or nothing";
  }
  const readable = readableParameters(library, cluster, url.username !== "" || url.password !== "");
  for (const name of new Set(url.searchParams.keys())) {
    if (!readable.includes(name)) return unreadParameter(name, library, cluster);
  }
  if (url.searchParams.has("db") && !/^\d+$/.test(database)) {
    return "the db parameter of --url must be a database number";
  }
  const family = url.searchParams.get("family");
  if (family !== null && !["0", "4", "6"].includes(family)) {
    return "the family parameter of --url must be 4, 6 or 0 (either)";
  }
  if (cluster && database !== "" && Number(database) !== 0) {
    return "a Redis Cluster has only database 0: remove the database number from --url";
  }
  return undefined;
}

/**
 * The query parameters the client reads from a URL the way the operator connects: ioredis reads
 * its options from a single node's query string (these are the ones that say where and who; its
 * timeouts and retries are the tool's own), but the user info wins over `?username=` and
 * `?password=` when there is any; node-redis reads none, and neither client reads the query of
 * a Cluster root node.
 */
function readableParameters(
  library: ClientLibrary,
  cluster: boolean,
  userinfo: boolean,
): readonly string[] {
  if (library !== "ioredis" || cluster) return [];
  return userinfo ? ["db", "family"] : ["password", "username", "db", "family"];
}

function unreadParameter(name: string, library: ClientLibrary, cluster: boolean): string {
  const head = `--url has the query parameter ${JSON.stringify(name)}, which`;
  const where =
    "the user name and password go before the host (redis://user:password@host), TLS is rediss://, and the database is the path (/0)";
  if (cluster) return `${head} is not read from the URL of a Cluster root node: ${where}`;
  if (library === "redis") return `${head} node-redis does not read: ${where}`;
  if (name === "password" || name === "username") {
    return `${head} ioredis ignores when the URL has a user name or password before the host: put both there (redis://user:password@host)`;
  }
  return `${head} syncguard does not pass to ioredis (only password, username, db and family): TLS is rediss://`;
}
