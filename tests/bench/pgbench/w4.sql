-- W4 ceiling: POST /api/users — the INSERT … RETURNING retort sends, with
-- a unique email (a 63-bit random number plus a per-run nonce).
-- Variables (pgbench -D): nonce.
\set r random(1, 9000000000000000000)
INSERT INTO "users" ("email", "name") VALUES (format('pgb-%s-%s@bench.example', :nonce::text, :r::bigint), 'Bench User') RETURNING "users"."id", "users"."email", "users"."name", "users"."created_at";
