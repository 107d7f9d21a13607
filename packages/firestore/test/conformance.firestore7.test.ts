/**
 * Peer-version matrix: the declared (optional) peer range is
 * `@google-cloud/firestore ^7.0.0 || ^8.0.0`. The other test files use v8; this one runs
 * conformance suites on the emulator with the oldest v7 (7.0.0, the `firestore7` devDependency
 * alias; firebase-admin 13 brings a 7.x).
 *
 * Types: the SDK declares its types as a global namespace plus an ambient module named
 * "@google-cloud/firestore", so the alias cannot be imported as a typed module of its own. The
 * compile-time check is `tsconfig.firestore7.json` instead (part of `typecheck`): it resolves
 * "@google-cloud/firestore" to 7.0.0 and type-checks src and every test, this file included,
 * against it.
 */
import type { Firestore } from "@google-cloud/firestore";
import { conformanceOnEmulator } from "./conformance-on-emulator";
import { emulatorHost } from "./helpers";

// Typed as the SDK "@google-cloud/firestore" resolves to: v7 under tsconfig.firestore7.json.
const { Firestore: Firestore7 } = require("firestore7") as typeof import("@google-cloud/firestore");
const sdkVersion: string = require("firestore7/package.json").version;

conformanceOnEmulator({
  name: "firestore (emulator, @google-cloud/firestore 7)",
  label: "conf7",
  sdk: "firestore7",
  newDb: (projectId): Firestore => {
    emulatorHost();
    return new Firestore7({ projectId });
  },
  extra: {
    // The SDK-facing paths (transactions, the lockId query, reads, snapshot listeners under
    // lock() waiters, contention between processes); expiry, keys and lease timing do not
    // depend on the SDK major and stay in conformance.test.ts.
    suites: ["acquire", "release", "extend", "lookup", "fencing", "lock", "race", "secrets"],
    race: { processes: 3, iterations: 10 },
  },
});

it("the firestore7 alias really is @google-cloud/firestore 7.x", () => {
  expect(sdkVersion).toMatch(/^7\./);
});
