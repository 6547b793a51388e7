-- W3 ceiling: POST /api/users/query with a like filter, ordering, limit 20
-- and selectinload(orders) — the filtered SELECT (pattern, limit and offset
-- bound, as retort binds them), then the selectin statement for the 20
-- users it returns.
-- Variables (pgbench -D): pattern (user1%), limit (20), offset (0), w3ids
-- (the array literal of those 20 ids: the pattern is fixed, so they are
-- too; run computes them).
SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."email" LIKE :pattern ORDER BY "users"."created_at" DESC, "users"."id" LIMIT :limit OFFSET :offset;
SELECT "orders"."user_id", "orders"."id", "orders"."user_id", "orders"."total", "orders"."status", "orders"."version", "orders"."created_at" FROM "orders" WHERE "orders"."user_id" = ANY(:w3ids::uuid[]) ORDER BY "orders"."created_at", "orders"."id";
