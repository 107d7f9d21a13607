import { parseArgs } from "node:util";
import { percentDecode } from "./scrub";

/**
 * The secrets any connection URL can carry, read with the WHATWG URL parser (the one node-redis,
 * ioredis, node-postgres and postgres.js all build on): the password of the user info and every
 * query parameter whose name says it holds one (`password`, `sslpassword`, `auth_token`...).
 * A URL that does not parse at all is a secret as a whole: nothing can tell which part of it is
 * the password. The store's own parser may find more (see the stores); both are scrubbed.
 */
export function urlSecrets(text: string): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [text];
  }
  // Misread (see hasAtAfterHost): the CLI refuses it, and it is a secret whole meanwhile.
  const secrets = hasAtAfterHost(text) ? [text] : [];
  secrets.push(url.password, percentDecode(url.password), typedPassword(text, url) ?? "");
  for (const [name, value] of url.searchParams) {
    if (SECRET_PARAM.test(name)) secrets.push(value);
  }
  // As typed, too: the parser decodes query values, a library may quote them encoded. And the
  // rest of the query after it: an unencoded "&" or "#" ends the value early, so the password
  // as the user meant it may run on into what the parser takes for other parameters.
  for (const query of [`${url.search.slice(1)}${url.hash}`, typedQuery(text, url) ?? ""]) {
    let offset = 0;
    for (const pair of query.split("&")) {
      const equals = pair.indexOf("=");
      if (equals >= 0 && SECRET_PARAM.test(percentDecode(pair.slice(0, equals)))) {
        secrets.push(pair.slice(equals + 1), query.slice(offset + equals + 1));
      }
      offset += pair.length + 1;
    }
  }
  return secrets.filter((secret) => secret !== "");
}

/**
 * The password exactly as typed (the parser keeps typed escapes and encodes raw characters, so a
 * password with both reads back as neither): the user info of the authority, as the URL standard
 * delimits it, accepted only when the parser's own encoding of it gives the parsed password.
 */
function typedPassword(text: string, url: URL): string | undefined {
  const start = text.indexOf("//");
  if (start < 0) return undefined;
  const rest = text.slice(start + 2);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const userinfo = authority.slice(0, Math.max(0, authority.lastIndexOf("@")));
  const colon = userinfo.indexOf(":");
  if (colon < 0) return undefined;
  const typed = userinfo.slice(colon + 1);
  const check = new URL("x://h");
  check.password = typed;
  return check.password === url.password ? typed : undefined;
}

/** The query (and fragment) as typed, accepted only when the parser's encoding of it agrees. */
function typedQuery(text: string, url: URL): string | undefined {
  const start = text.indexOf("?");
  if (start < 0 || url.search === "") return undefined;
  const hash = text.indexOf("#", start);
  const typed = hash < 0 ? text.slice(start + 1) : text.slice(start + 1, hash);
  const check = new URL("x://h");
  check.search = typed;
  return check.search === url.search ? `${typed}${hash < 0 ? "" : text.slice(hash)}` : undefined;
}

/** Names of parsed settings that hold a secret (matched on names, never on printed text). */
export const SECRET_PARAM = /pass|secret|token|credential/i;

/**
 * Every --url value on the command line (in any of the spellings node:util accepts) and
 * REDIS_URL: read before the arguments are checked, so even a usage error is printed scrubbed.
 */
export function candidateUrls(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const urls: string[] = env.REDIS_URL ? [env.REDIS_URL] : [];
  try {
    const { tokens } = parseArgs({
      args: [...argv],
      options: { url: { type: "string", multiple: true } },
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    for (const token of tokens) {
      if (token.kind === "option" && token.name === "url" && typeof token.value === "string") {
        urls.push(token.value);
      }
    }
  } catch {
    // Not even loosely parseable: every argument may be a URL.
    urls.push(...argv);
  }
  return urls;
}

/**
 * A URL as the CLI shows it: scheme, user, host, port and path as the parser read them, the
 * password as "***", no query string (it may hold one too). Undefined when it does not parse.
 */
export function displayUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const user = url.username || url.password ? `${url.username}${url.password ? ":***" : ""}@` : "";
  return `${url.protocol}//${user}${url.host}${url.pathname === "/" ? "" : url.pathname}`;
}

/**
 * True when an "@" sits after the host: a password with an unencoded "/", "?" or "#" ends the
 * user info early, the parser then reads part of the password as port, path or query, and the
 * connection would go somewhere else with the password in plain sight. Such a URL is refused
 * without quoting it.
 */
export function hasAtAfterHost(text: string): boolean {
  try {
    const url = new URL(text);
    return `${url.pathname}${url.search}${url.hash}`.includes("@");
  } catch {
    return false;
  }
}

/** The usage message for a URL the parser cannot read or misreads (never quoting it). */
export const MISENCODED_URL =
  'percent-encode reserved characters in the user name and password ("/" as %2F, "?" as %3F, "#" as %23, "@" as %40, "%" as %25)';
