export {
  type ConformancePlan,
  type ConformanceTest,
  collectConformanceTests,
} from "./collect";
export type { AcquiredLock, BackendUnderTest, SeenLockInfo, SuiteContext } from "./context";
export {
  eventually,
  foreignLockId,
  listEveryLock,
  rejectsWithCode,
  sleep,
  uniqueKey,
} from "./helpers";
export { type LeakSource, LeakWatch } from "./leak-watch";
export { type LeaseProbeResult, probeAutoExtend } from "./lease-probe";
export type { ConformanceOptions, TestApi, WorkerFactory } from "./options";
export { type PartitionProxy, startPartitionProxy } from "./partition-proxy";
export type { RaceSection } from "./race-protocol";
export { RULES, type RuleId } from "./rules";
export { runConformance } from "./run";
export { StrayErrors } from "./stray-errors";
export { SUITE_NAMES, type SuiteName } from "./suite-names";
