import type { Firestore } from "@google-cloud/firestore";
import {
  forceRelease,
  forceReleasePermit,
  getByKey,
  getSemaphore,
  listLocks,
  readFence,
} from "@syncguard/core";
import { monotonicClock, raceDeadline } from "@syncguard/core/driver";
import type { OperatorMigrationReport, OperatorSession } from "@syncguard/core/operator";
import { createFirestoreBackend } from "../backend";
import { type FirestoreMigrationReport, migrateFrom2x } from "../migrate/migrate";
import { checkCredentials } from "./credentials";
import { loadPeer } from "./peer";
import type { FirestoreSettings } from "./settings";

/** How long closing the client may take: terminate() waits for calls still in flight. */
const CLOSE_WAIT_MS = 1_000;

/**
 * A Firestore client and the backend on it. The client connects lazily: an unreachable project
 * shows at the first call, bounded by the backend's operationTimeoutMs.
 */
export async function openSession(settings: FirestoreSettings): Promise<OperatorSession> {
  const { Firestore } =
    loadPeer<typeof import("@google-cloud/firestore")>("@google-cloud/firestore");
  const emulator = Boolean(process.env.FIRESTORE_EMULATOR_HOST); // what the client reads
  // On the emulator there is no metadata server to ask for credentials: skip google-auth's probe.
  if (emulator) process.env.METADATA_SERVER_DETECTION ??= "none";
  await checkCredentials({
    emulator,
    ...(settings.projectId !== undefined ? { projectId: settings.projectId } : {}),
    timeoutMs: settings.timeoutMs,
  });
  const db: Firestore = new Firestore({
    ...(settings.projectId !== undefined ? { projectId: settings.projectId } : {}),
    ...(settings.databaseId !== undefined ? { databaseId: settings.databaseId } : {}),
  });
  const close = () => raceDeadline(db.terminate(), monotonicClock() + CLOSE_WAIT_MS).then(() => {});
  let backend: ReturnType<typeof createFirestoreBackend>;
  try {
    backend = createFirestoreBackend(db, {
      ...(settings.collection !== undefined ? { collection: settings.collection } : {}),
      ...(settings.fenceCollection !== undefined
        ? { fenceCollection: settings.fenceCollection }
        : {}),
      operationTimeoutMs: settings.timeoutMs,
      logger: settings.logger,
    });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    backend,
    core: { getByKey, listLocks, readFence, forceRelease, getSemaphore, forceReleasePermit },
    async migrateFrom2x({ dryRun }) {
      return describe(await migrateFrom2x(db, { ...settings.migration, dryRun }));
    },
    async close() {
      await backend.close().catch(() => {});
      await close();
    },
  };
}

/** The report as the CLI prints it: the counts, then what was skipped or not carried over. */
function describe(report: FirestoreMigrationReport): OperatorMigrationReport {
  const notes: string[] = [];
  if (report.skipped > 0) {
    const more = report.skipped - report.skippedDocuments.length;
    notes.push(
      "Skipped (not 2.x counters, left alone):",
      ...report.skippedDocuments.map(({ path, type }) => `  ${JSON.stringify(path)} (${type})`),
      ...(more > 0 ? [`  ... and ${more} more`] : []),
    );
  }
  if (report.unraised.length > 0) {
    notes.push(
      "Not carried over (the key's new fence document holds no counter; fix or remove it, then run again):",
      ...report.unraised.map(
        ({ key, path, fence }) => `  key ${JSON.stringify(key)}: ${path} (2.x fence ${fence})`,
      ),
    );
  }
  return {
    dryRun: report.dryRun,
    report,
    counts: [
      ["documents scanned", String(report.documentsScanned)],
      ["2.x counters found", String(report.countersFound)],
      ["skipped (no counter)", String(report.skipped)],
      ["fence documents checked", String(report.fenceDocuments)],
      [
        report.dryRun ? "fence documents to raise" : "fence documents raised",
        String(report.countersRaised),
      ],
      ["highest 2.x fence", report.highestFence ?? "none"],
    ],
    notes,
  };
}
