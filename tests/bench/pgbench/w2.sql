-- W2 ceiling: GET /api/users/{id}?include=orders — the primary-key SELECT,
-- then the selectin statement for the user's orders (one key in the array).
-- Variables (pgbench -D): users.
\set n random(1, :users)
SELECT id, email, name, created_at FROM users WHERE id = md5(:n::text)::uuid;
SELECT id, user_id, total, status, version, created_at FROM orders WHERE user_id = ANY(ARRAY[md5(:n::text)::uuid]) ORDER BY created_at;
