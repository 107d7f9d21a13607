import { conformanceOnEmulator } from "./conformance-on-emulator";
import { newDb } from "./helpers";

/** The shared conformance suite on the emulator, including the multi-process race. */
conformanceOnEmulator({ name: "firestore (emulator)", label: "conf", newDb });
