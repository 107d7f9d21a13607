/**
 * Write statements the backend gave up on (its deadline, the caller's signal) that may still be
 * running on the server, by lockId. A later statement for the same lockId waits until they ended:
 * a release sent while an abandoned acquire of that lockId still waits on a row lock would find
 * nothing, and the acquire would then commit a lock that nobody holds. Once the earlier statement
 * ended (cancelled, failed or committed), whatever it did is visible to the next one.
 */
export class AbandonedStatements {
  private readonly byLockId = new Map<string, Promise<void>>();

  /** `ended` settles when the statement can no longer commit; it must never reject. */
  add(lockId: string, ended: Promise<void>): void {
    const earlier = this.byLockId.get(lockId);
    const all = earlier ? Promise.all([earlier, ended]).then(() => undefined) : ended;
    this.byLockId.set(lockId, all);
    void all.then(() => {
      if (this.byLockId.get(lockId) === all) this.byLockId.delete(lockId);
    });
  }

  /** Settles once every abandoned statement of `lockId` ended; undefined when none is running. */
  pending(lockId: string): Promise<void> | undefined {
    return this.byLockId.get(lockId);
  }
}
