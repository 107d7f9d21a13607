/**
 * Runs tasks for one key one at a time within this process. Concurrent acquire transactions on
 * one key from one process would only deadlock each other (each holds a read lock the other
 * needs to write; the emulator then stalls both for its 2 s lock timeout), so they queue here and
 * the later ones find the key taken by a cheap lock-free read.
 */
export class KeyGate {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
