-- W1 ceiling: GET /api/users/{id} — one primary-key SELECT of a random user.
-- Variables (pgbench -D): users. User n's id is md5(n)::uuid (seed.sql).
\set n random(1, :users)
SELECT id, email, name, created_at FROM users WHERE id = md5(:n::text)::uuid;
