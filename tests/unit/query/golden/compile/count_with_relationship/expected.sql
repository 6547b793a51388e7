SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE EXISTS (SELECT 1 FROM "orders" AS "orders_1" WHERE "users"."id" = "orders_1"."user_id" AND "orders_1"."status" = $1) LIMIT $2 OFFSET $3
SELECT count(*) AS "count" FROM "users" WHERE EXISTS (SELECT 1 FROM "orders" AS "orders_1" WHERE "users"."id" = "orders_1"."user_id" AND "orders_1"."status" = $1)
