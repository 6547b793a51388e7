-- W1 ceiling: GET /api/users/{id} — the primary-key SELECT retort sends,
-- for a random existing user. Variables (pgbench -D): users.
-- User n's id is md5(n)::uuid (seed.sql).
\set n random(1, :users)
SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."id" = md5(:n::text)::uuid;
