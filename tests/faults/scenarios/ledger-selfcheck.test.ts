/**
 * The instrument before the measurements: the ledger analysis finds overlaps (including with a
 * section a dead worker left open), fence regressions and sections never closed.
 */
import { appendFileSync } from "node:fs";
import { createLedger } from "../harness/ledger";

it("the ledger analysis finds overlaps, fence regressions and unclosed sections", () => {
  const ledger = createLedger("selfcheck");
  const line = (event: object) => appendFileSync(ledger.file, `${JSON.stringify(event)}\n`);
  const fence = (n: number) => String(n).padStart(15, "0");
  try {
    line({ ev: "enter", id: "1:1", key: "a", fence: fence(1), pid: 1, t: "100" });
    line({ ev: "exit", id: "1:1", why: "returned", t: "200" });
    line({ ev: "enter", id: "2:1", key: "a", fence: fence(2), pid: 2, t: "150" }); // inside 1:1
    line({ ev: "death", pid: 2, t: "300" }); // ends 2:1
    line({ ev: "enter", id: "3:1", key: "a", fence: fence(2), pid: 3, t: "400" }); // fence not > 2
    line({ ev: "exit", id: "3:1", why: "signal", t: "500" });
    line({ ev: "enter", id: "4:1", key: "b", fence: fence(5), pid: 4, t: "100" }); // never closed
    line({ ev: "enter", id: "5:1", key: "b", fence: fence(6), pid: 5, t: "900" });
    line({ ev: "exit", id: "5:1", why: "returned", t: "950" });
    const report = ledger.read();
    expect(report.overlaps.map((o) => [o.earlier.id, o.later.id])).toEqual([
      ["1:1", "2:1"],
      ["4:1", "5:1"],
    ]);
    expect(report.fenceRegressions.map((r) => [r.earlier.id, r.later.id])).toEqual([
      ["2:1", "3:1"],
    ]);
    expect(report.unclosed.map((i) => i.id)).toEqual(["4:1"]);
    expect(report.intervals.find((i) => i.id === "2:1")).toMatchObject({
      exit: 300n,
      why: "killed",
    });
  } finally {
    ledger.dispose();
  }
});
