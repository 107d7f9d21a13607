/**
 * Every rule the suite checks, by id. Test names start with `[id]`, and RULES.md (merged into the
 * "Conformance rules" table of specs/interface.md) lists the same ids: a test keeps them in sync.
 */
export const RULES = {
  "acquire.result":
    "A successful acquire returns { ok: true, lockId: 36 base64url chars, expiresAtMs = now + ttlMs by the backend clock (± TIME_TOLERANCE_MS), fence: 15 digits }.",
  "acquire.unique-id": "Every successful acquire returns a lockId never returned before.",
  "acquire.contention":
    'Acquiring a live lock returns { ok: false, reason: "locked" } (a result, not an error); optional holder info never holds the lockId, holder.fence is the holder\'s fence, holder.remainingMs <= ttlMs + TIME_TOLERANCE_MS.',
  "acquire.atomic": "Concurrent acquires of one free key: exactly one wins.",
  "acquire.independent": "Locks on different keys neither block nor release each other.",
  "acquire.reacquire": "A released key can be acquired again at once.",
  "acquire.same-lockid":
    "acquire({ key, ttlMs, lockId }) takes the lock under the given lockId; repeated while that lockId holds the key, it returns ok with the same lock unchanged (same fence, same expiresAtMs), so a retry of an attempt with an unknown outcome never turns its own owner away. A lockId made for another key is InvalidArgument before any I/O.",

  "release.owner":
    "The holder's lockId releases the lock exactly once (ok: true, then ok: false); the key is free afterwards.",
  "release.wrong-owner":
    "A well-formed lockId that does not hold the lock releases nothing (ok: false); the holder keeps the lock.",
  "release.stale":
    "The lockId of a released or expired lock cannot release the key's newer holder.",
  "release.unknown": "Releasing an unknown lockId returns { ok: false }, not an error.",

  "extend.replaces":
    "extend sets expiry to now + ttlMs (replaces, does not add): a shorter ttlMs moves expiry earlier.",
  "extend.keeps-alive": "An extended lock stays held past its original TTL.",
  "extend.owner":
    "Only the holder's lockId extends: another lockId gets ok: false and the holder's expiry is unchanged.",
  "extend.after-release": "Extending a released lock returns ok: false and the key stays free.",
  "extend.no-resurrection":
    "Extending an expired lock returns ok: false and the lock does not come back (isLocked false, lookup null).",
  "extend.stale":
    "The lockId of an expired lock cannot extend the key's newer holder; that holder is untouched.",

  "isLocked.state":
    "isLocked is true while the lock is live and false for an unused key, after release and after expiry.",
  "isLocked.pure":
    "isLocked changes nothing: the holder keeps the lock with the same expiry, and fences continue unaffected.",

  "lookup.by-key":
    "lookup({ key }) of a live lock returns { key (NFC), lockIdHash, acquiredAtMs, expiresAtMs, fence } matching the acquire.",
  "lookup.by-lock-id": "lookup({ lockId }) of a live lock returns the same information.",
  "lookup.secrecy":
    "lookup never reveals the lockId (no field, no substring of its JSON); lockIdHash is the first 16 hex chars of SHA-256(lockId).",
  "lookup.absent":
    "lookup returns null for an unused, released or expired lock, by key and by lockId.",
  "lookup.stale": "lookup({ lockId }) of a lock whose key a newer holder took returns null.",
  "lookup.one-target":
    "lookup needs exactly one of key or lockId; both or neither is InvalidArgument.",
  "lookup.helpers": "getByKey, getById and owns (core) agree with lookup.",

  "fence.format":
    "A fence is a 15-digit decimal string, so string order equals numeric order (compareFence).",
  "fence.monotonic":
    "Each successful acquire of a key returns a fence greater than every earlier one: across release, expiry, isLocked and lookup.",
  "fence.per-key":
    "Interleaved acquisitions on several keys keep every key's fences strictly increasing.",

  "expiry.live": "A lock is held until its TTL: it reads locked shortly before expiresAtMs.",
  "expiry.frees":
    "An unreleased lock frees itself by expiresAtMs + TIME_TOLERANCE_MS and can be acquired again.",
  "time.tolerance":
    "A lock stays live for TIME_TOLERANCE_MS after expiresAtMs on every backend: a competitor still gets locked, isLocked and lookup still see it, the holder can still release it.",

  "keys.nfc":
    "Keys are compared after Unicode NFC normalization: composed and decomposed spellings are one lock.",
  "keys.special":
    "Any character is allowed: '/', '.', '..', '__x__', '{tag}', ':', '~', control characters, emoji, CJK and whitespace-only keys each lock independently.",
  "keys.long":
    "Keys of 511, 512, 513 and 2000 bytes and of exactly MAX_KEY_BYTES work, and lookup returns them whole.",
  "keys.distinct":
    "Distinct keys never share a lock: long keys differing only in their last byte, and keys that look like escaped or hashed storage names.",
  "keys.invalid":
    "An empty key, a non-string, a lone surrogate or a key over MAX_KEY_BYTES is InvalidArgument.",

  "input.key": "Every key-taking operation rejects an invalid key with LockError InvalidArgument.",
  "input.lock-id":
    "release, extend and lookup reject a malformed lockId (wrong length, non-base64url, non-string) with InvalidArgument.",
  "input.ttl":
    "acquire and extend reject a ttlMs that is not a positive integer <= MAX_TTL_MS with InvalidArgument.",
  "input.no-state-change":
    "A rejected call changes nothing: a held lock keeps its holder, expiry and fence; a free key stays free.",

  "abort.pre-aborted":
    "Every operation given an already aborted signal throws LockError Aborted and changes nothing.",
  "abort.live-signal": "A signal that is not aborted does not affect any operation.",

  "lock.result":
    "lock(fn) runs fn while holding the lock, returns fn's value and releases afterwards.",
  "lock.error": "lock(fn) rethrows fn's error unchanged and still releases the lock.",
  "lock.context":
    "fn's context carries the held lock's lockId, fence and expiresAtMs, an unaborted signal, and an extend that renews the lease.",
  "lock.exclusion":
    "Two concurrent lock() calls on one key run their sections one after the other.",
  "lock.timeout":
    "lock() on a key that stays held throws LockError AcquisitionTimeout after about timeoutMs and never runs fn.",
  "lock.max-retries":
    "maxRetries bounds the attempts: maxRetries 0 makes one attempt and gives up at once with AcquisitionTimeout.",
  "lock.abort":
    "Aborting the signal while lock() waits throws LockError Aborted promptly; fn never runs and nothing is left held.",
  "handle.dispose":
    "acquire(backend, opts) returns a handle whose release() frees once, whose extend() renews, and whose Symbol.asyncDispose releases.",

  "lease.auto-extend":
    "With autoExtend, lock() renews the lease while fn runs: no competitor gets in over several TTLs and the signal stays unaborted.",
  "lease.lost":
    "A lock deleted behind its holder's back aborts the context signal with LockError LockLost within one renewal interval, and lock() rejects with LockLost.",
  "lease.max-hold":
    "maxHoldMs ends a renewing holder: at the bound the context signal aborts with LockError LockLost while the lock is still held, renewal stops, and lock() rejects with LockLost.",
  "force.release":
    "forceRelease(backend, key) deletes the live lock of a key whoever holds it: the holder's context signal aborts with LockError LockLost, lock() rejects with LockLost, the next holder gets a higher fence, and a free key reports released: false.",
  "inventory.list":
    "When the driver lists (capabilities.list): listLocks pages with a cursor return each live lock under a prefix exactly once, never more than the limit, with key, fence and times only (no lockId); released keys and keys outside the prefix are absent.",
  "inventory.fence":
    "When the driver reads fences (capabilities.readFence): readFence is a pure read of the counter a key's fences come from; its value is at least the key's last fence (equal for a per-key counter) and below the next one.",
  "wake.release":
    "When the backend has subscribe(): listeners hear a release of their key only, and a lock() waiter runs soon after a release instead of sleeping out its retry delay.",
  "wait.fair":
    "When the store keeps a wait queue (capabilities.waitQueue): lock() waiters on separate backends (as in separate processes) get a released key in arrival order, whatever their timeouts, each woken once: one attempt per waiter after the release.",
  "wait.reserved":
    "With a wait queue, a release hands the key to the oldest waiter: acquires by anyone else between the release and that waiter's attempt are locked, and the waiter gets the key.",
  "wait.withdraw":
    "With a wait queue, waiters that give up (abort) leave it: the next release keeps the key for none of them, so another caller can take it at once.",

  "events.forced":
    "forceRelease reports itself to the given observers: a `forced` event { key, released: true, fence } for the lock it deleted (fence on fencing backends), one warn log line whose fields name the key, no lockId in either; on a free key the event says released: false and nothing is logged.",
  "events.outcomes":
    "lock() over the backend reports each outcome as events: a holder whose lock is force-released sees acquired, extended (ok: false), lost (reason not-held), released (ok: false); an acquisition that times out behind a holder ends with failed { code: AcquisitionTimeout, attempts, waitedMs }.",

  "race.exclusion":
    "Across separate processes, critical sections on one key never overlap and every one completes.",
  "race.fence-order":
    "Across processes, critical sections ordered by entry time have strictly increasing fences.",

  "semaphore.limit":
    "When the driver has permits (capabilities.semaphore): acquirePermit takes up to `permits` permits of a key at once, each with its own lockId and a fence newer than the last; one more is turned away; the lock of the same key is not affected; a released permit can be taken again, with a newer fence.",
  "semaphore.permits":
    "With permits, a caller whose `permits` differs from the live holders' gets LockError InvalidArgument; once no permit is live, a new number holds.",
  "semaphore.expiry":
    "With permits, a permit whose holder stopped renewing (a crashed holder) stops counting after its TTL and the tolerance: a waiter gets it with a newer fence, and the old holder can neither extend nor release it.",
  "semaphore.fair":
    "With permits, lock.semaphore waiters get a released permit in arrival order (each woken in turn, none lost).",
  "semaphore.fair-processes":
    "With permits and a wait queue (capabilities.waitQueue): lock.semaphore waiters on separate backends (as in separate processes) get released permits in arrival order, whatever their timeouts, each woken once: one attempt per waiter after the release.",
  "semaphore.withdraw":
    "With permits and a wait queue, permit waiters that give up (abort) leave the queue: the next release keeps the permit for none of them, so another caller takes it at once.",
  "semaphore.inventory":
    "With permit operators (capabilities.semaphoreOperators): listLocks pages (limit 1) show every live permit under a prefix exactly once, after the locks, by key, holder id (a hash of its lockId), fence, expiry and permits, never a lockId; getSemaphore shows a semaphore's holders the same way, and null once none is live.",
  "semaphore.force":
    "With permit operators, forceReleasePermit (by fence or by holder id) deletes exactly the named permit: the other permits stay and renew, one new permit can be taken and one more is turned away, the evicted holder's extend fails (its signal aborts with LockLost), and the fence counter is untouched (the next permit's fence is newer than every earlier one).",
  "semaphore.race":
    "With permits, across 8 processes taking permits of one key (permits 3): never more than 3 sections inside at once (each claims one of 3 slots shared by the processes), every section completes, no fence is issued twice, and a section called after another returned has a newer fence.",
  "election.handover":
    "elect() on the backend: one of two candidates leads; leader() names its term (opaque holderId, fence, since, expiry; never a lockId); when it resigns the other leads with a newer fence, and after both resign nobody leads.",
  "election.race":
    "Across separate processes campaigning for one election, terms of leadership never overlap (each claims the one slot shared by the processes), every campaign leads once, fences are unique, and a term that began after another ended has a newer fence.",

  "background.quiet":
    "No unhandled rejection or uncaught exception during the run, nor from the work core does in the background for the backend (releases of abandoned attempts, withdrawals, lingering subscriptions), which the suite waits for with whenIdle before its last check and again after teardown has closed the client.",
  "secrets.no-leak":
    "No error message (nor its causes), console line or lock event of the run contains a lockId the backend issued, nor any string named in options.secrets (a password): a lockId is a bearer secret.",
} as const satisfies Record<string, string>;

export type RuleId = keyof typeof RULES;
