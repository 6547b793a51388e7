-- Sample data for config/sql/sample_schema.sql: 2,000 users with 5 orders
-- each. Deterministic apart from the generated ids: user n is
-- user<n>@example.com, created n minutes after 2026-01-01; totals and
-- statuses are derived from the row numbers. scripts/run loads it once, into
-- an empty users table, in one transaction. Every column a model declares
-- with a client-side "default" (status, version) is given explicitly, so
-- the file also works on tables made by `retort schema create`.

INSERT INTO users (email, name, created_at)
SELECT format('user%s@example.com', n),
       format('User %s', n),
       timestamptz '2026-01-01 00:00:00+00' + n * interval '1 minute'
FROM generate_series(1, 2000) AS n;

INSERT INTO orders (user_id, total, status, version, created_at)
SELECT u.id,
       ((u.n * 37 + k * 101) % 50000) / 100.0 + 1,
       (ARRAY['pending', 'paid', 'shipped', 'cancelled'])[1 + (u.n + k) % 4],
       1,
       u.created_at + k * interval '1 hour'
FROM (SELECT id, created_at,
             row_number() OVER (ORDER BY created_at) AS n
      FROM users
      WHERE email LIKE 'user%@example.com') AS u
CROSS JOIN generate_series(1, 5) AS k;

ANALYZE users;
ANALYZE orders;
