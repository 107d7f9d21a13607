/** A place in a KeyGate's line: wait for `ready`, then call `leave` when done (or giving up). */
export interface GateTurn {
  readonly ready: Promise<void>;
  leave(): void;
}

/**
 * Lets tasks for one key run one at a time within this process. Concurrent acquire transactions
 * on one key from one process would only deadlock each other (each holds a read lock the other
 * needs to write; the emulator then stalls both for its 2 s lock timeout), so they queue here and
 * the later ones find the key taken by a cheap lock-free read. The wait is a promise, so a caller
 * can race it against its deadline and signal and leave the line early.
 */
export class KeyGate {
  private readonly tails = new Map<string, Promise<void>>();

  enter(key: string): GateTurn {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let leave: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      leave = resolve;
    });
    // The next caller waits for this one and everyone before it, even if this one leaves early.
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return { ready: previous, leave };
  }
}
