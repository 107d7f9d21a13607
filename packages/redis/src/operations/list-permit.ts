import type { DriverListInput, DriverPermitListPage } from "@syncguard/core/driver";
import { callScript } from "../command";
import type { DriverContext } from "../context";
import { globEscape, scanListing } from "./list";
import { readPermitCall, readPermitResult, readPermitScript } from "./read-permit";

/** A permits set's name, `P:{rr}:permits:<tag>`, and its holders hash beside it. */
const PERMITS_PART = ":permits:";

/**
 * One page of live permits (ADR-041), found as the lock listing finds records: SCAN for the
 * semaphores' permit sets (the only names `P:{rr}:permits:<12 chars>`), one read script per
 * semaphore for its live permits and its key (the prefix filter), ordered by name, then fence.
 */
export async function listPermit(
  ctx: DriverContext,
  input: DriverListInput,
): Promise<DriverPermitListPage> {
  const pattern = `${globEscape(ctx.config.keyPrefix)}:{??}${PERMITS_PART}????????????`;
  const page = await scanListing(ctx, input, { pattern, type: "zset" }, (names, signal) =>
    Promise.all(
      names.map(async (name) => {
        const at = name.lastIndexOf(PERMITS_PART);
        const holders = `${name.slice(0, at)}:permit-holders:${name.slice(at + PERMITS_PART.length)}`;
        const call = readPermitCall(name, holders, "");
        const read = readPermitResult(
          await callScript(ctx, "listPermit", readPermitScript, call, signal),
        );
        return (read?.holders ?? [])
          .filter((permit) => permit.key.startsWith(input.prefix))
          .map((permit) => ({ entry: permit, id: permit.fence ?? "" }));
      }),
    ),
  );
  return page.cursor === undefined
    ? { permits: page.entries }
    : { permits: page.entries, cursor: page.cursor };
}
