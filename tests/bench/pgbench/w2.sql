-- W2 ceiling: GET /api/users/{id}?include=orders — the primary-key SELECT,
-- then the selectin statement for the user's orders, as retort sends them.
-- Variables (pgbench -D): users.
\set n random(1, :users)
SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."id" = md5(:n::text)::uuid;
SELECT "orders"."user_id", "orders"."id", "orders"."user_id", "orders"."total", "orders"."status", "orders"."version", "orders"."created_at" FROM "orders" WHERE "orders"."user_id" = ANY(ARRAY[md5(:n::text)::uuid]) ORDER BY "orders"."created_at", "orders"."id";
