/** What the parent passes to each race worker (JSON in the SYNCGUARD_RACE environment variable). */
export interface RaceConfig {
  modulePath: string;
  exportName: string;
  key: string;
  iterations: number;
  ttlMs: number;
  timeoutMs: number;
  /** Time spent inside each critical section, so an overlap has room to show. */
  holdMs: number;
  /**
   * What each section holds: the lock (default), one permit of a semaphore of `permits`
   * (`lock.semaphore`), or a term of leadership (`elect`, one election per section).
   */
  mode?: "lock" | "semaphore" | "election";
  permits?: number;
  /**
   * A directory shared by the workers: each section claims one of `permits` (default 1) slots in
   * it on entry (an atomic mkdir) and frees it on exit. A section that finds every slot taken is
   * marked `overfull`: more holders than allowed, found without comparing clocks of processes.
   */
  slotsDir?: string;
}

/** One critical section as a worker saw it. Times are wall-clock ms (shared across processes). */
export interface RaceSection {
  pid: number;
  fence?: string;
  enterMs: number;
  exitMs: number;
  /** When the call that ran the section was made, and when it returned (released). */
  calledMs: number;
  returnedMs: number;
  /** Every slot was taken on entry (see `RaceConfig.slotsDir`). */
  overfull?: boolean;
}

/** Lines a worker prints on stdout, one JSON object per line. */
export type RaceMessage =
  | { type: "ready"; pid: number }
  | { type: "result"; pid: number; sections: RaceSection[] }
  | { type: "error"; pid: number; message: string; completed: number };

export const RACE_ENV = "SYNCGUARD_RACE";
/** The parent writes this line to every worker's stdin once all are ready. */
export const RACE_GO = "go";
