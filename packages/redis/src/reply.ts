import { LockError } from "@syncguard/core";

/** Script replies arrive as strings, Buffers (with a type mapping) or numbers: normalize them. */
export function replyString(value: unknown, what: string): string {
  if (typeof value === "string") return value;
  if (Buffer.isBuffer(value)) return value.toString("utf8");
  if (typeof value === "number") return String(value);
  throw malformed(what, value);
}

export function replyNumber(value: unknown, what: string): number {
  const n = typeof value === "number" ? value : Number(replyString(value, what));
  if (!Number.isSafeInteger(n)) throw malformed(what, value);
  return n;
}

export function replyArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw malformed(what, value);
  return value;
}

export function malformed(what: string, value: unknown): LockError {
  return new LockError("Internal", `Malformed Redis reply for ${what}: ${String(value)}`);
}
