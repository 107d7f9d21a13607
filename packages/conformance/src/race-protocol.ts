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
}

/** Lines a worker prints on stdout, one JSON object per line. */
export type RaceMessage =
  | { type: "ready"; pid: number }
  | { type: "result"; pid: number; sections: RaceSection[] }
  | { type: "error"; pid: number; message: string; completed: number };

export const RACE_ENV = "SYNCGUARD_RACE";
/** The parent writes this line to every worker's stdin once all are ready. */
export const RACE_GO = "go";
