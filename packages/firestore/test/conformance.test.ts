import { conformanceOnEmulator } from "./conformance-on-emulator";
import { newDb } from "./helpers";

/** The shared conformance suite on the emulator, including the multi-process race. */
conformanceOnEmulator({
  name: "firestore (emulator)",
  label: "conf",
  newDb,
  // Each permit's attempts contend on one document: 8 x 6 sections still overlap all the way.
  extra: { semaphoreRace: { iterations: 6 } },
});
