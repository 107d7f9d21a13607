/** Why a section ended: fn returned/threw, or its lock's signal told it to stop. */
export type ExitReason = "returned" | "signal" | "lost";

export interface SectionLog {
  readonly file: string;
  /** Records entering a critical section; returns its id (`<pid>:<n>`). */
  enter(key: string, fence: string | undefined): string;
  exit(id: string, why: ExitReason): void;
  /** Records that a process died: every section it had open ends now. */
  death(pid: number): void;
}

export function openSectionLog(file: string): SectionLog;
