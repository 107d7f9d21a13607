/**
 * The few Redis commands the 2.x migration needs. The migration is written against this interface
 * only, so a client library plugs in by implementing it (node-redis: node-redis.ts).
 */
export interface MigrationCommands {
  /**
   * Every key name matching a SCAN pattern, in batches, from every master (a single node is its
   * own master). A name may come twice (SCAN's guarantee); the migration tolerates that.
   */
  scanKeys(match: string): AsyncIterable<readonly string[]>;
  /**
   * The value of a string key, or null when it does not exist. Routed by key on a cluster.
   * Rejects with the server's WRONGTYPE error when the key holds another type.
   */
  get(key: string): Promise<string | null>;
  /** The type of a key as TYPE names it ("string", "hash", "list"..., "none" when absent). */
  type(key: string): Promise<string>;
  /** Runs a Lua script on the node holding `keys` (all in one slot) and returns its reply. */
  runScript(source: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
}
