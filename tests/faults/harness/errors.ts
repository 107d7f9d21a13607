/** What a caught error is, in the terms of the contract: LockError codes, causes, messages. */
import { isLockError, type LockErrorCode } from "@syncguard/core";

/** The LockError codes of the error and of its `cause` chain, outermost first. */
export function lockErrorCodes(error: unknown): LockErrorCode[] {
  const codes: LockErrorCode[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current instanceof Error && !seen.has(current)) {
    seen.add(current);
    if (isLockError(current)) codes.push(current.code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** A message is meaningful when it is non-empty and does not end in an empty "...: " detail. */
export function hasMeaningfulMessage(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const message = error.message.trim();
  return message.length > 0 && !/:$/.test(message);
}

/** One line describing an error: class, code, message, and the same for its causes. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(
        `${current.name}${code === undefined ? "" : `(${String(code)})`}: ${JSON.stringify(current.message)}`,
      );
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(`non-error ${JSON.stringify(current)}`);
      break;
    }
  }
  return parts.join(" <- caused by ");
}
