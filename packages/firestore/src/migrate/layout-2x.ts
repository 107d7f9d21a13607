/**
 * Where syncguard 2.x kept its Firestore fence counters, restated from its storage rules: one
 * document per key in the fence collection (default "fence_counters"), named `fence:` + the
 * NFC-normalized key used verbatim as a document path, holding `{ fence: "<15 digits>", keyDebug }`.
 * A key with an even number of "/" therefore sits in a sub-collection (`fence:a/b/c` is document
 * `c` of collection `b` under document `fence:a`); one with an odd number never worked in 2.x.
 */
export const OLD_FENCE_COLLECTION = "fence_counters";
export const OLD_ID_PREFIX = "fence:";

/** The 2.x key of a counter, from its path below the fence collection (`fence:a/b/c` -> `a/b/c`). */
export function keyOfOldPath(relativePath: string): string | undefined {
  if (!relativePath.startsWith(OLD_ID_PREFIX) || relativePath.length === OLD_ID_PREFIX.length) {
    return undefined;
  }
  return relativePath.slice(OLD_ID_PREFIX.length);
}
