import { utf8Bytes } from "@syncguard/core/driver";

/**
 * Where syncguard 2.x kept its Redis fence counters, restated from its storage rules:
 * - a storage name is `prefix:rest` (just `rest` with an empty prefix; trailing ":" of the prefix
 *   dropped), kept readable while it fits a 1000-byte budget with 26 bytes reserved, else
 *   replaced by `prefix:` + 22 base64url characters of a SHA-256 of the whole readable name;
 * - a key's lock name is the storage name of the key; its fence counter is the storage name of
 *   `fence:` + that lock name, so the prefix appears twice: `p:fence:p:key`;
 * - the counter is an integer written by INCR, never expired or deleted.
 * Keys were NFC-normalized and at most 512 bytes.
 */
const BUDGET_BYTES = 1_000;
const RESERVE_BYTES = 26;
const MAX_KEY_BYTES = 512;
const HASH_CHARS = 22;
const HASHED_PART = /^[A-Za-z0-9_-]{22}$/;

/** 2.x dropped trailing ":" from its keyPrefix. */
export const normalizeOldPrefix = (prefix: string): string => prefix.replace(/:+$/, "");

/** True when 2.x could store `prefix` at all (it rejected longer ones). */
export const isUsableOldPrefix = (prefix: string): boolean =>
  utf8Bytes(prefix) + 1 + RESERVE_BYTES <= BUDGET_BYTES;

const join = (prefix: string, rest: string) => (prefix ? `${prefix}:${rest}` : rest);

/** SCAN patterns take `*`, `?`, `[`, `]` and `\` as syntax: escape them in literal text. */
export const escapeGlob = (text: string): string => text.replace(/[*?[\]\\]/g, "\\$&");

export interface OldFenceLayout {
  /** SCAN pattern of readable fence counter names. */
  readonly pattern: string;
  /** SCAN pattern of hashed fence counter names, when this prefix can have any. */
  readonly hashedPattern?: string;
  /**
   * The user key of a readable fence counter name; undefined when the name is not one, or when it
   * may hold a hashed lock name instead of a key (the key is then unknown).
   */
  keyOf(name: string): string | undefined;
  /** True for a name shaped like a hashed fence counter name (its key is unknown). */
  isHashed(name: string): boolean;
}

/** The 2.x fence counter names for a (normalized) 2.x prefix. */
export function oldFenceLayout(prefix: string): OldFenceLayout {
  const head = join(prefix, `fence:${join(prefix, "")}`);
  const prefixBytes = utf8Bytes(prefix);
  const separator = prefix ? 1 : 0;
  // With a long prefix even a short key's lock name, or its fence name, was hashed by 2.x.
  const lockNamesMayBeHashed =
    prefixBytes + separator + MAX_KEY_BYTES + RESERVE_BYTES > BUDGET_BYTES;
  const fenceNamesMayBeHashed = utf8Bytes(head) + MAX_KEY_BYTES + RESERVE_BYTES > BUDGET_BYTES;
  const hashedHead = join(prefix, "");
  return {
    pattern: `${escapeGlob(head)}*`,
    ...(fenceNamesMayBeHashed
      ? { hashedPattern: `${escapeGlob(hashedHead)}${"?".repeat(HASH_CHARS)}` }
      : {}),
    keyOf(name) {
      if (!name.startsWith(head) || name.length === head.length) return undefined;
      const rest = name.slice(head.length);
      // `p:fence:p:<22 chars>` is also what a hashed lock name gives: the key cannot be told.
      if (lockNamesMayBeHashed && HASHED_PART.test(rest)) return undefined;
      return rest;
    },
    isHashed(name) {
      return (
        fenceNamesMayBeHashed &&
        name.startsWith(hashedHead) &&
        HASHED_PART.test(name.slice(hashedHead.length))
      );
    },
  };
}
