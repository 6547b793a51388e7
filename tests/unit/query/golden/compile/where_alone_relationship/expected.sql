EXISTS (SELECT 1 FROM "orders" AS "orders_1" WHERE "users"."id" = "orders_1"."user_id" AND "orders_1"."version" >= $1)
