import {
  forceRelease,
  forceReleasePermit,
  getByKey,
  getSemaphore,
  listLocks,
  readFence,
} from "@syncguard/core";
import type { OperatorMigrationReport, OperatorSession } from "@syncguard/core/operator";
import { createRedisBackend } from "../backend";
import { migrateFrom2x, type RedisMigrationReport } from "../migrate/migrate";
import type { RedisClientLike } from "../types";
import { connect, quietly } from "./connect";
import type { RedisSettings } from "./settings";

/** Connects and builds the backend the commands run on (it never acquires). */
export async function openSession(settings: RedisSettings): Promise<OperatorSession> {
  const connection = await connect(settings);
  let backend: ReturnType<typeof createRedisBackend>;
  try {
    backend = createRedisBackend(connection.client as RedisClientLike, {
      keyPrefix: settings.keyPrefix,
      evictionPolicyCheck: "off", // an operator tool never acquires
      logger: settings.logger,
    });
  } catch (error) {
    quietly(connection.close);
    throw error;
  }
  return {
    backend,
    core: { getByKey, listLocks, readFence, forceRelease, getSemaphore, forceReleasePermit },
    async migrateFrom2x({ dryRun }) {
      const report = await migrateFrom2x(connection.client as never, {
        keyPrefix: settings.keyPrefix,
        ...(settings.oldKeyPrefix !== undefined ? { oldKeyPrefix: settings.oldKeyPrefix } : {}),
        dryRun,
      });
      return describe(report);
    },
    async close() {
      await backend.close().catch(() => {});
      quietly(connection.close);
    },
  };
}

/** The report as the CLI prints it: the counts, then each name skipped with its type. */
function describe(report: RedisMigrationReport): OperatorMigrationReport {
  const more = report.skipped - report.skippedKeys.length;
  return {
    dryRun: report.dryRun,
    report,
    counts: [
      ["names scanned", String(report.keysScanned)],
      ["2.x counters found", String(report.countersFound)],
      ["skipped (no counter)", String(report.skipped)],
      ["unmapped counters", String(report.unmapped)],
      ["route counters checked", String(report.routeCounters)],
      [
        report.dryRun ? "route counters to raise" : "route counters raised",
        String(report.countersRaised),
      ],
      ["highest 2.x fence", report.highestFence ?? "none"],
    ],
    notes:
      report.skipped === 0
        ? []
        : [
            "Skipped (not 2.x counters, left alone):",
            ...report.skippedKeys.map(({ key, type }) => `  ${JSON.stringify(key)} (${type})`),
            ...(more > 0 ? [`  ... and ${more} more`] : []),
          ],
  };
}
