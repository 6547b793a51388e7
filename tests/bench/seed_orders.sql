-- tests/bench/seed_orders.sql — the seeded orders (see seed.sql): user n
-- (id md5(n)::uuid) gets :orders_per_user orders, one hour apart.
-- Included by seed.sql; run by tests/bench/run after TRUNCATE orders to
-- reset the table before each measured W5 run.

INSERT INTO orders (user_id, total, status, version, created_at)
SELECT md5(n::text)::uuid,
       ((n * 37 + k * 101) % 50000) / 100.0 + 1,
       (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + (n + k) % 4],
       1,
       timestamptz '2026-01-01 00:00:00+00' + n * interval '1 minute' + k * interval '1 hour'
FROM generate_series(1, :users) AS n
CROSS JOIN generate_series(1, :orders_per_user) AS k;
