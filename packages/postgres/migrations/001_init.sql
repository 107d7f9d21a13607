-- SyncGuard lock tables (schema version 1). Idempotent: safe to run again.
SELECT pg_advisory_xact_lock(1397161985);
-- "already exists, skipping" notices are noise on every run after the first.
SET LOCAL client_min_messages = warning;

-- One row per lock. Rows of expired locks stay until the key is taken again (or
-- isLocked cleans them, with cleanupInIsLocked); liveness is decided by expires_at_ms.
CREATE TABLE IF NOT EXISTS "public"."syncguard_locks" (
  name            text   COLLATE "C" PRIMARY KEY,   -- the key's storage name (readable, hashed when long)
  key             bytea  NOT NULL,                  -- the whole normalized key, UTF-8
  lock_id         text   COLLATE "C" NOT NULL UNIQUE, -- the holder's secret; release and extend find it here
  acquired_at_ms  bigint NOT NULL,                  -- database clock, ms since the epoch
  expires_at_ms   bigint NOT NULL,                  -- live while now < expires_at_ms + 1000
  fence           bigint NOT NULL
);

-- One counter per key: the last fence issued. Never deleted, never decremented.
CREATE TABLE IF NOT EXISTS "public"."syncguard_fences" (
  name   text   COLLATE "C" PRIMARY KEY,
  fence  bigint NOT NULL
);
