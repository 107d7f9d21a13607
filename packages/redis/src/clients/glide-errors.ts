import type { Classified } from "../errors";

/**
 * Valkey GLIDE's errors (ValkeyError and its subclasses), told apart by class name along the
 * prototype chain so no runtime import of GLIDE is needed. Their meaning differs from node-redis
 * errors of the same name: GLIDE's TimeoutError is raised for a command it may have written.
 */
function glideClassName(error: Error): string | undefined {
  const names: string[] = [];
  for (let proto = Object.getPrototypeOf(error); proto; proto = Object.getPrototypeOf(proto)) {
    names.push((proto as { constructor?: { name?: string } }).constructor?.name ?? "");
  }
  return names.includes("ValkeyError") ? names[0] : undefined;
}

/** What each GLIDE error says about the command (ADR-011, ADR-042). */
const GLIDE_ERRORS: Record<string, Classified> = {
  // GLIDE reconnects by itself and holds a command while it does: a frozen server, a dead one and
  // a lost reply all end as TimeoutError after `requestTimeout`, written or not.
  TimeoutError: {
    code: "NetworkTimeout",
    reason:
      "no reply within the GLIDE client's requestTimeout (the command may have run; GLIDE does not say whether it was written)",
  },
  ConnectionError: {
    code: "NetworkTimeout",
    reason: "the GLIDE connection failed with the command pending (the command may have run)",
  },
  // A closed client is refused before anything is sent (the backend checks); a ClosingError that
  // reaches here rejected a command pending when the client closed.
  ClosingError: {
    code: "NetworkTimeout",
    reason: "the GLIDE client closed with the command pending (the command may have run)",
  },
  CircuitBreakerError: {
    code: "ServiceUnavailable",
    reason: "the GLIDE client's circuit breaker is open; the command was not sent",
  },
  ConfigurationError: {
    code: "InvalidArgument",
    reason: "the GLIDE client refused its configuration",
  },
};

/** The LockError meaning of a GLIDE error other than a server's reply, if it is one. */
export function classifyGlideError(error: Error): Classified | undefined {
  const name = glideClassName(error);
  if (name === undefined || name === "RequestError") return undefined;
  const known = GLIDE_ERRORS[name];
  if (known === undefined) return undefined;
  const said = error.message?.trim();
  return { code: known.code, reason: said ? `${known.reason}: ${said}` : known.reason };
}

/** GLIDE's names for server error codes it parses (the others keep their code). */
const SERVER_CODES: Record<string, string> = {
  BusyLoadingError: "LOADING",
  NoScriptError: "NOSCRIPT",
  PermissionDenied: "NOPERM",
  Moved: "MOVED",
  Ask: "ASK",
  TryAgain: "TRYAGAIN",
  ClusterDown: "CLUSTERDOWN",
  CrossSlot: "CROSSSLOT",
  MasterDown: "MASTERDOWN",
  ReadOnly: "READONLY",
  ExecAbortError: "EXECABORT",
  ResponseError: "ERR",
};
/** "An error was signalled by the server: - TryAgain: x", or "OOM: x" for codes GLIDE keeps. */
const SIGNALLED = /^An error was signalled by the server: - (\w+): ?([\s\S]*)$/;
const KEPT_CODE = /^([A-Z][A-Z0-9_-]*): ([\s\S]*)$/;

/**
 * A server's error reply as GLIDE rewrites it, back in the server's own words ("TRYAGAIN x"), so
 * the reply rules that apply to every client apply to it; any other error unchanged.
 */
export function asServerReply(error: Error): Error {
  if (glideClassName(error) !== "RequestError") return error;
  const signalled = SIGNALLED.exec(error.message);
  const kept = signalled ? undefined : KEPT_CODE.exec(error.message);
  const parts = signalled ?? kept;
  if (!parts) return error;
  const code = signalled ? (SERVER_CODES[parts[1] as string] ?? parts[1]) : parts[1];
  const reply = new Error(`${code} ${parts[2]}`);
  reply.name = "RequestError";
  return reply;
}
