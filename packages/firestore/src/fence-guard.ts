import type { DocumentReference, Transaction } from "@google-cloud/firestore";
import { assertFenceNewer, LockError } from "@syncguard/core";

/**
 * The fencing check for a document you write in your own Firestore transaction: reads `ref` in
 * `transaction` and throws StaleFenceError (from `@syncguard/core`) when the fence stored in its
 * `field` (default "fence") is newer than `fence`, which aborts the transaction with nothing
 * written. Then write your update with `[field]: fence` in the same transaction. Call it before
 * your transaction's writes (Firestore reads come first). The same holder may write again.
 */
export async function assertFenceInTransaction(
  transaction: Transaction,
  ref: DocumentReference,
  fence: string,
  options: { field?: string } = {},
): Promise<void> {
  const field = options.field ?? "fence";
  if (typeof field !== "string" || field === "") {
    throw new LockError(
      "InvalidArgument",
      "assertFenceInTransaction field must be a non-empty string",
    );
  }
  assertFenceNewer(fence, null); // its form, before any read
  const snapshot = await transaction.get(ref);
  const last: unknown = snapshot.exists ? snapshot.get(field) : undefined;
  assertFenceNewer(fence, last === undefined || last === null ? null : (last as string), ref.path);
}
