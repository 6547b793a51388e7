-- tests/bench/seed.sql — the benchmark data set, loaded by tests/bench/run
-- into the empty tables made by `retort schema create -c config/retort.json`.
--
--   psql -v users=10000 -v orders_per_user=10 -f seed.sql
--
-- The orders are in seed_orders.sql, which run also uses on its own to put
-- the orders table back to this state (after TRUNCATE) before W5.
--
-- User n has id md5(n)::uuid (random-looking, but computable from n, so
-- pgbench can pick "a random existing user" with \set n random(1, :users)
-- and address it as md5(:n::text)::uuid), email user<n>@example.com and is
-- created n minutes after 2026-01-01. Each user has :orders_per_user orders,
-- one hour apart; totals and statuses derive from the row numbers. Every
-- column with a client-side model default (orders.status, orders.version)
-- is given explicitly: `retort schema create` does not put those in the DDL.

\set ON_ERROR_STOP 1

BEGIN;

INSERT INTO users (id, email, name, created_at)
SELECT md5(n::text)::uuid,
       format('user%s@example.com', n),
       format('User %s', n),
       timestamptz '2026-01-01 00:00:00+00' + n * interval '1 minute'
FROM generate_series(1, :users) AS n;

\ir seed_orders.sql

COMMIT;

VACUUM ANALYZE users;
VACUUM ANALYZE orders;
