import { onAbort } from "./abort-listeners";
import { callQuietly } from "./background";
import { engineView } from "./engine-view";
import { isLockError, isTransientCode, LockError } from "./errors";
import type { LockEventHandler } from "./events";
import type { LockContext } from "./handle";
import { validateSignal } from "./input";
import { normalizeKey } from "./keys";
import { backendOfLock, closingSignalOf, createLock, type LockFunction } from "./lock";
import { type Logger, validateLogger, writeLog } from "./logger";
import { hashLockId } from "./lookup";
import { checkOptionNames } from "./option-names";
import { LOCK_DEFAULTS } from "./options";
import { validateTtl } from "./time";
import type {
  BackendCapabilities,
  Fence,
  FenceField,
  FencingCapabilities,
  LockBackend,
} from "./types";
import { interruptibleSleep } from "./wait";

/**
 * Leader election on the plain lock (ADR-039): the leader is whoever holds the election's key.
 * A term is one hold of it, renewed until the leader resigns, its work returns, or the lock is
 * lost; its fence is the term number, strictly increasing across terms.
 */

/** Options of `elect()`. */
export interface ElectionOptions {
  /** The election's key: every candidate of one election names the same key. */
  key: string;
  /** Lease length in ms (default 30 000): how long a crashed leader keeps the others waiting. */
  ttlMs?: number;
  /** Aborting it resigns, as `resign()` does. */
  signal?: AbortSignal;
  /** Campaign again after a lost term (default true); false ends the election at the first loss. */
  campaignAgain?: boolean;
  /** Called when this process starts a term, before `lead`. What it throws is ignored. */
  onElected?: (term: TermInfo) => void;
  /** Called when a term of this process is lost (not when it resigns). What it throws is ignored. */
  onLost?: (lost: TermInfo) => void;
  /** The lock's events for every campaign and term (see the README's events table). */
  onEvent?: LockEventHandler;
  /** Where the election's warnings go. Default: the backend's logger, else `console`. */
  logger?: Logger;
}

/** A term of this process, as `lead` sees it. */
export type LeaderTerm<C extends BackendCapabilities = FencingCapabilities> = {
  readonly key: string;
  /** Who leads, as `leader()` names it to everyone: an opaque id (a hash, never a lockId). */
  readonly holderId: string;
  /**
   * Aborts when the term ends: lost (`LockError("LockLost")`), or resigned (`LockError("Aborted")`
   * from `resign()`; the `signal` option's own reason when that signal ended it).
   */
  readonly signal: AbortSignal;
} & FenceField<C>;

/** A term of this process that started or was lost, for `onElected` and `onLost`. */
export interface TermInfo {
  readonly key: string;
  readonly holderId: string;
  readonly fence?: Fence;
  /** Why it ended (`onLost` only): the LockLost error. */
  readonly error?: LockError;
}

/** Who leads an election now, as anyone can read it. */
export type Leader<C extends BackendCapabilities = FencingCapabilities> = {
  /** An opaque id of the leader's term (a hash of its lockId, never the lockId). */
  readonly holderId: string;
  /** When the term started, by the store's clock (ms since epoch). */
  readonly sinceMs: number;
  /** When the term's lease runs out unless renewed, by the store's clock. */
  readonly expiresAtMs: number;
} & FenceField<C>;

/** A running campaign: `elect()` returns it at once; it campaigns until resigned or ended. */
export interface Election<C extends BackendCapabilities = FencingCapabilities> {
  /** This process's current term, or undefined when it does not lead. */
  readonly term: LeaderTerm<C> | undefined;
  /** Who leads now (this process or another), or null when nobody does. A read of the store. */
  leader(options?: { signal?: AbortSignal }): Promise<Leader<C> | null>;
  /**
   * Stops campaigning; a term in progress ends (`term.signal` aborts) and its lock is released
   * once `lead` has returned. Resolves when the election has ended. Idempotent.
   */
  resign(): Promise<void>;
  /**
   * Settles when the election ends: resolves after `resign()`, after `lead` returned on its own,
   * or after a lost term with `campaignAgain: false`; rejects with the error that ended it (one
   * `lead` threw, or a store error that is not transient).
   */
  readonly done: Promise<void>;
  /** `await using election = elect(...)` resigns on scope exit. */
  [Symbol.asyncDispose](): Promise<void>;
}

const ELECTION_OPTION_NAMES: ReadonlySet<string> = new Set([
  "key",
  "ttlMs",
  "signal",
  "campaignAgain",
  "onElected",
  "onLost",
  "onEvent",
  "logger",
]);

/** One campaign round waits this long for the key, then starts the next round. */
const ROUND_MS = 60_000;
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * Campaigns for leadership of `key` on a backend (or through a lock function), and runs `lead`
 * for each term this process wins:
 *
 * ```ts
 * const election = elect(backend, { key: "scheduler", ttlMs: 10_000 }, async ({ fence, signal }) => {
 *   await runScheduler({ term: fence, signal });
 * });
 * ```
 *
 * Leadership renews while `lead` runs and ends when it returns (the election then ends), when
 * `resign()` is called, or when the lock is lost (`signal` aborts; the process campaigns again
 * unless `campaignAgain` is false). Bad options throw `LockError("InvalidArgument")` at once.
 */
export function elect<C extends BackendCapabilities>(
  target: LockBackend<C> | LockFunction<C>,
  options: ElectionOptions,
  lead: (term: LeaderTerm<C>) => unknown,
): Election<C> {
  return new Campaign(target, options, lead);
}

class Campaign<C extends BackendCapabilities> implements Election<C> {
  readonly done: Promise<void>;
  term: LeaderTerm<C> | undefined;
  readonly #key: string;
  readonly #ttlMs: number;
  readonly #again: boolean;
  readonly #options: ElectionOptions;
  readonly #lock: LockFunction<C>;
  readonly #backend: LockBackend<C>;
  readonly #resigning = new AbortController();
  readonly #lead: (term: LeaderTerm<C>) => unknown;

  constructor(
    target: LockBackend<C> | LockFunction<C>,
    options: ElectionOptions,
    lead: (term: LeaderTerm<C>) => unknown,
  ) {
    if (options === null || typeof options !== "object") {
      throw new LockError("InvalidArgument", "elect() options must be an object with a key");
    }
    checkOptionNames(options, ELECTION_OPTION_NAMES, "elect() options");
    if (typeof lead !== "function") {
      throw new LockError("InvalidArgument", "elect() needs a function to lead with");
    }
    for (const name of ["onElected", "onLost", "onEvent"] as const) {
      if (options[name] !== undefined && typeof options[name] !== "function") {
        throw new LockError("InvalidArgument", `${name} must be a function`);
      }
    }
    if (options.campaignAgain !== undefined && typeof options.campaignAgain !== "boolean") {
      throw new LockError("InvalidArgument", "campaignAgain must be a boolean");
    }
    this.#key = normalizeKey(options.key);
    this.#ttlMs = validateTtl(options.ttlMs ?? LOCK_DEFAULTS.ttlMs);
    validateLogger(options.logger);
    const signal = validateSignal(options.signal);
    this.#again = options.campaignAgain ?? true;
    this.#options = options;
    this.#lead = lead;
    if (typeof target === "function") {
      const backend = backendOfLock(target);
      if (!backend) {
        throw new LockError(
          "InvalidArgument",
          "elect() needs a backend, or a lock function made by this copy of @syncguard/core",
        );
      }
      this.#lock = target;
      this.#backend = backend;
    } else if (
      target !== null &&
      typeof target === "object" &&
      typeof target.acquire === "function"
    ) {
      this.#lock = createLock(target);
      this.#backend = target;
    } else {
      throw new LockError("InvalidArgument", "elect() needs a backend or a lock function first");
    }
    // A lock function's close() ends the elections campaigning through it, leading or not: its
    // close waits for held locks, and a term holds its lock until it ends.
    const closing = typeof target === "function" ? closingSignalOf(target) : undefined;
    const unsubscribe: (() => void)[] = [];
    if (closing) {
      const resign = () =>
        this.#resigning.abort(new LockError("Aborted", "lock.close() was called"));
      if (closing.aborted) resign();
      else unsubscribe.push(onAbort(closing, resign));
    }
    if (signal) {
      if (signal.aborted) this.#resigning.abort(signal.reason);
      else unsubscribe.push(onAbort(signal, () => this.#resigning.abort(signal.reason)));
    }
    this.done = this.#campaign();
    // An ended election stops listening (many elections may share one signal).
    const stopListening = () => {
      for (const stop of unsubscribe) stop();
    };
    void this.done.then(stopListening, stopListening);
    // An election nobody awaits must not crash the process; its failure is logged instead.
    this.done.catch((error: unknown) =>
      writeLog(
        options.logger ?? engineView(this.#backend).logger,
        "error",
        `[SyncGuard] election ${JSON.stringify(this.#key.slice(0, 64))} ended: ${String(error)}`,
      ),
    );
  }

  async leader(options: { signal?: AbortSignal } = {}): Promise<Leader<C> | null> {
    const found = await this.#backend.lookup({ key: this.#key, ...options });
    if (!found) return null;
    return {
      holderId: found.lockIdHash,
      sinceMs: found.acquiredAtMs,
      expiresAtMs: found.expiresAtMs,
      ...(found.fence !== undefined ? { fence: found.fence } : {}),
    } as Leader<C>;
  }

  resign(): Promise<void> {
    this.#resigning.abort(new LockError("Aborted", "the election was resigned"));
    return this.done.catch(() => undefined);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.resign();
  }

  /** Rounds of waiting for the key and terms, until resigned, returned, or ended by an error. */
  async #campaign(): Promise<void> {
    const resigning = this.#resigning.signal;
    let delay = FIRST_RETRY_MS;
    while (!resigning.aborted) {
      try {
        const ended = await this.#lock((context) => this.#serve(context), {
          key: this.#key,
          ttlMs: this.#ttlMs,
          timeoutMs: ROUND_MS,
          maxRetries: Number.MAX_SAFE_INTEGER,
          autoExtend: true,
          maxHoldMs: Number.POSITIVE_INFINITY,
          signal: resigning,
          ...(this.#options.onEvent ? { onEvent: this.#options.onEvent } : {}),
          ...(this.#options.logger ? { logger: this.#options.logger } : {}),
        });
        if (ended !== "lost" || !this.#again) return;
        delay = FIRST_RETRY_MS;
      } catch (error) {
        if (resigning.aborted || isLockError(error, "Aborted")) return;
        if (isLockError(error, "LockLost")) {
          if (!this.#again) return;
          continue;
        }
        if (isLockError(error, "AcquisitionTimeout")) continue;
        if (!isLockError(error) || !isTransientCode(error.code)) throw error;
        try {
          await interruptibleSleep(delay, resigning, undefined, "Election");
        } catch {
          return;
        }
        delay = Math.min(delay * 2, MAX_RETRY_MS);
      }
    }
  }

  /** One term: `lead` runs under the held key; a loss is reported before lock() says LockLost. */
  async #serve(context: LockContext<C>): Promise<"returned" | "resigned" | "lost"> {
    // A lease already past its safe deadline (the store answered slower than the TTL allows) is
    // no term: nobody is told, and the campaign goes on.
    if (context.signal.aborted) return "lost";
    const signal = AbortSignal.any([context.signal, this.#resigning.signal]);
    const term = {
      key: this.#key,
      holderId: hashLockId(context.lockId),
      // Read through the lease: a deadline that passed while the process was frozen or blocked
      // aborts it on this read, before the leader acts on a term its timers have not ended yet.
      get signal(): AbortSignal {
        void context.signal;
        return signal;
      },
      ...(context.fence !== undefined ? { fence: context.fence } : {}),
    } as LeaderTerm<C>;
    const seen = {
      key: term.key,
      holderId: term.holderId,
      ...(context.fence !== undefined ? { fence: context.fence } : {}),
    };
    this.term = term;
    const { onElected, onLost } = this.#options;
    if (onElected) callQuietly(() => onElected(seen));
    let failure: { error: unknown } | undefined;
    try {
      await this.#lead(term);
    } catch (error) {
      failure = { error };
    } finally {
      this.term = undefined;
    }
    if (context.signal.aborted) {
      const error = context.signal.reason;
      if (onLost) callQuietly(() => onLost({ ...seen, ...(isLockError(error) ? { error } : {}) }));
      return "lost";
    }
    if (this.#resigning.signal.aborted) return "resigned";
    if (failure) throw failure.error;
    return "returned";
  }
}
