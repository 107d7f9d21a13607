-- SyncGuard lock tables, schema version 4. Idempotent: safe to run again. Run on the
-- tables of version 1 it migrates them in place (one transaction; see the comments below).
SELECT pg_advisory_xact_lock(1397161985);
-- "already exists, skipping" notices are noise on every run after the first.
SET LOCAL client_min_messages = warning;

-- One row per lock. Rows of expired locks stay until the key is taken again (or
-- isLocked cleans them, with cleanupInIsLocked); liveness is decided by expires_at_ms. For a
-- moment after a contended release the row is a reservation for the oldest waiter: its lock_id
-- is "~" and that waiter's id (never a lockId), and it lives for the hand-off window.
CREATE TABLE IF NOT EXISTS "public"."syncguard_locks" (
  name            text    COLLATE "C" PRIMARY KEY,   -- the key's storage name (readable, hashed when long)
  key             bytea   NOT NULL,                  -- the whole normalized key, UTF-8
  lock_id         text    COLLATE "C" NOT NULL UNIQUE, -- the holder's secret; release and extend find it here
  acquired_at_ms  bigint  NOT NULL,                  -- database clock, ms since the epoch
  expires_at_ms   bigint  NOT NULL,                  -- live while now < expires_at_ms + 1000
  fence           bigint  NOT NULL,
  waited          boolean NOT NULL DEFAULT false     -- an attempt was turned away: the release hands the key on
);
-- Version 1 had no waited column.
ALTER TABLE "public"."syncguard_locks" ADD COLUMN IF NOT EXISTS waited boolean NOT NULL DEFAULT false;

-- Version 1 kept one fence counter per key ever locked (a name column). Version 2 keeps one per
-- route (4096, from the key's tag): the table is locked against every writer, every route
-- counter starts at the highest per-key counter, so no key's next fence can be lower than one it
-- was issued, and the per-key rows go. A process of version 1 still running afterwards fails to
-- acquire (its statements name the old columns) instead of issuing a fence out of order.
DO $migrate$
DECLARE
  highest bigint;
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_attribute
    WHERE attrelid = to_regclass('"public"."syncguard_fences"') AND attname = 'name' AND NOT attisdropped
  ) THEN
    LOCK TABLE "public"."syncguard_fences" IN ACCESS EXCLUSIVE MODE;
    SELECT max(fence) INTO highest FROM "public"."syncguard_fences";
    DROP TABLE "public"."syncguard_fences";
    CREATE TABLE "public"."syncguard_fences" (
      route  smallint PRIMARY KEY,
      fence  bigint   NOT NULL
    ) WITH (fillfactor = 50);
    IF highest IS NOT NULL THEN
      INSERT INTO "public"."syncguard_fences" (route, fence)
      SELECT route, highest FROM generate_series(0, 4095) AS route;
    END IF;
  END IF;
END
$migrate$;

-- One counter per route (0..4095): the last fence issued to any of its keys. Never
-- deleted, never decremented. Half-full pages keep each increment a HOT update. (No CHECK
-- constraint: PostgreSQL would rebuild its expression on every statement that bumps a counter.)
CREATE TABLE IF NOT EXISTS "public"."syncguard_fences" (
  route  smallint PRIMARY KEY,
  fence  bigint   NOT NULL
) WITH (fillfactor = 50);

-- Callers waiting for a key, in arrival order (database clock). A row leaves when its waiter
-- gets the key, gives up (withdraw), or is found past gives_up_at_ms by a release of the key.
CREATE TABLE IF NOT EXISTS "public"."syncguard_queue" (
  name            text   COLLATE "C" NOT NULL,     -- the key's storage name
  waiter          text   COLLATE "C" NOT NULL,     -- core's waiter id (one per acquisition)
  arrived_at_ms   bigint NOT NULL,
  gives_up_at_ms  bigint NOT NULL,
  PRIMARY KEY (name, waiter)
);

-- Hands a released key to the oldest waiter: called by a release of a lock that turned an
-- attempt away, in its statement (see relaySql in src/relay.ts).
CREATE OR REPLACE FUNCTION "public"."syncguard_relay"(released text, released_key bytea, released_fence bigint, channel text)
RETURNS text LANGUAGE plpgsql AS $relay$
DECLARE
  now_ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  head text;
  payload text;
BEGIN
  DELETE FROM "public"."syncguard_queue" w WHERE w.name = released AND w.gives_up_at_ms <= now_ms;
  DELETE FROM "public"."syncguard_queue" w WHERE w.name = released AND w.waiter = (
    SELECT q.waiter FROM "public"."syncguard_queue" q WHERE q.name = released
    ORDER BY q.arrived_at_ms, q.waiter LIMIT 1
  ) RETURNING w.waiter INTO head;
  IF head IS NOT NULL THEN
    INSERT INTO "public"."syncguard_locks" (name, key, lock_id, acquired_at_ms, expires_at_ms, fence, waited)
    VALUES (released, released_key, '~' || head, now_ms,
      now_ms + -750, released_fence, true);
  END IF;
  payload := released_fence || coalesce(':' || head || ':250', '') || '/' || released;
  PERFORM pg_notify(channel, payload);
  RETURN payload;
END
$relay$;

-- Version 3: one row per permit of a semaphore (ADR-039). A semaphore key's permits share its
-- row name (the storage name of the key in the semaphore namespace); rows of expired permits stay
-- until the next attempt on the semaphore. Fences come from the route counters, as locks' do.
-- Since version 4 a row whose lock_id is "~" and a waiter's id is a permit kept for that waiter
-- for the hand-off window after a release (it counts as live).
CREATE TABLE IF NOT EXISTS "public"."syncguard_permits" (
  name            text    COLLATE "C" NOT NULL,  -- the semaphore's storage name
  lock_id         text    COLLATE "C" NOT NULL,  -- the permit holder's secret
  key             bytea   NOT NULL,              -- the whole normalized key, UTF-8
  permits         integer NOT NULL,              -- the number the holder agreed on (equal for live ones)
  acquired_at_ms  bigint  NOT NULL,
  expires_at_ms   bigint  NOT NULL,              -- live while now < expires_at_ms + 1000
  fence           bigint  NOT NULL,
  PRIMARY KEY (name, lock_id)
);

-- Version 4: callers waiting for a permit of a semaphore, in arrival order (database clock), as
-- the lock queue is for keys. A row leaves when its waiter gets a permit, gives up (withdraw), or
-- is found past gives_up_at_ms by a release of the semaphore.
CREATE TABLE IF NOT EXISTS "public"."syncguard_permit_queue" (
  name            text   COLLATE "C" NOT NULL,     -- the semaphore's storage name
  waiter          text   COLLATE "C" NOT NULL,     -- core's waiter id (one per acquisition)
  arrived_at_ms   bigint NOT NULL,
  gives_up_at_ms  bigint NOT NULL,
  PRIMARY KEY (name, waiter)
);

-- Hands a freed permit to the semaphore's oldest waiter: called by a permit's release, in its
-- statement (see src/permit-relay.ts).
CREATE OR REPLACE FUNCTION "public"."syncguard_relay_permit"(released text, released_key bytea, released_permits integer, released_fence bigint, channel text)
RETURNS text LANGUAGE plpgsql AS $relay$
DECLARE
  now_ms bigint := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  head text;
  payload text;
BEGIN
  DELETE FROM "public"."syncguard_permit_queue" w WHERE w.name = released AND w.gives_up_at_ms <= now_ms;
  SELECT q.waiter INTO head FROM "public"."syncguard_permit_queue" q
  WHERE q.name = released AND q.gives_up_at_ms > now_ms
  ORDER BY q.arrived_at_ms, q.waiter LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF head IS NOT NULL THEN
    DELETE FROM "public"."syncguard_permit_queue" w WHERE w.name = released AND w.waiter = head;
    INSERT INTO "public"."syncguard_permits" AS p (name, lock_id, key, permits, acquired_at_ms, expires_at_ms, fence)
    VALUES (released, '~' || head, released_key, released_permits, now_ms,
      now_ms + -750, released_fence)
    ON CONFLICT (name, lock_id) DO UPDATE SET acquired_at_ms = excluded.acquired_at_ms,
      expires_at_ms = excluded.expires_at_ms, fence = excluded.fence;
  END IF;
  payload := released_fence || coalesce(':' || head || ':250', '') || '/' || released;
  PERFORM pg_notify(channel, payload);
  RETURN payload;
END
$relay$;

-- Takes a permit of a semaphore: one attempt, in its statement (see src/permits-sql.ts). Version 3
-- took six parameters; that function stays for processes of version 3 (it does not queue).
CREATE OR REPLACE FUNCTION "public"."syncguard_acquire_permit"(p_name text, p_key bytea, p_lock_id text, p_ttl bigint, p_permits integer, p_route smallint, p_waiter text, p_wait_ms bigint, OUT outcome smallint, OUT fence_out bigint, OUT ms_out bigint)
LANGUAGE plpgsql AS $permit$
DECLARE
  now_ms bigint;
  live integer;
  agreed integer;
  first_fence bigint;
  first_expiry bigint;
  first_reserved boolean;
BEGIN
  PERFORM pg_advisory_xact_lock(1397162041, hashtext(p_name));
  now_ms := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  DELETE FROM "public"."syncguard_permits" p WHERE p.name = p_name AND p.expires_at_ms + 1000 <= now_ms;
  SELECT p.fence, p.expires_at_ms INTO fence_out, ms_out FROM "public"."syncguard_permits" p
  WHERE p.name = p_name AND p.lock_id = p_lock_id;
  IF FOUND THEN
    outcome := 2;
    RETURN;
  END IF;
  -- A permit a release reserved for this waiter is its to take: the reservation's slot is freed
  -- here and taken below.
  IF p_waiter IS NOT NULL THEN
    DELETE FROM "public"."syncguard_permits" p WHERE p.name = p_name AND p.lock_id = '~' || p_waiter;
  END IF;
  -- One read for the count and the first to expire: releases do not wait for the advisory lock,
  -- so two reads could disagree (a permit counted, then gone).
  SELECT count(*), max(p.permits), (array_agg(p.fence ORDER BY p.expires_at_ms, p.lock_id))[1],
    min(p.expires_at_ms), (array_agg(left(p.lock_id, 1) = '~' ORDER BY p.expires_at_ms, p.lock_id))[1]
  INTO live, agreed, first_fence, first_expiry, first_reserved
  FROM "public"."syncguard_permits" p WHERE p.name = p_name;
  IF live > 0 AND agreed <> p_permits THEN
    outcome := 5;
    ms_out := agreed;
    RETURN;
  END IF;
  IF live >= p_permits THEN
    -- Turned away: a waiter joins the queue, so a release can reserve it a permit.
    IF p_waiter IS NOT NULL AND p_wait_ms IS NOT NULL THEN
      INSERT INTO "public"."syncguard_permit_queue" (name, waiter, arrived_at_ms, gives_up_at_ms)
      VALUES (p_name, p_waiter, now_ms, now_ms + p_wait_ms)
      ON CONFLICT (name, waiter) DO NOTHING;
    END IF;
    outcome := 3;
    fence_out := CASE WHEN first_reserved THEN NULL ELSE first_fence END;
    ms_out := greatest(0, first_expiry + 1000 - now_ms);
    RETURN;
  END IF;
  INSERT INTO "public"."syncguard_fences" AS f (route, fence) VALUES (p_route, 1)
  ON CONFLICT (route) DO UPDATE SET fence = f.fence + 1 WHERE f.fence < 900000000000000
  RETURNING f.fence INTO fence_out;
  IF fence_out IS NULL THEN
    outcome := 4;
    RETURN;
  END IF;
  ms_out := now_ms + p_ttl;
  INSERT INTO "public"."syncguard_permits" (name, lock_id, key, permits, acquired_at_ms, expires_at_ms, fence)
  VALUES (p_name, p_lock_id, p_key, p_permits, now_ms, ms_out, fence_out);
  IF p_waiter IS NOT NULL THEN
    DELETE FROM "public"."syncguard_permit_queue" w WHERE w.name = p_name AND w.waiter = p_waiter;
  END IF;
  outcome := 1;
END
$permit$;
