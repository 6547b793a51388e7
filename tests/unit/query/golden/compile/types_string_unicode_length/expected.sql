SELECT "orders"."id", "orders"."user_id", "orders"."total", "orders"."status", "orders"."version", "orders"."created_at" FROM "orders" WHERE "orders"."status" LIKE $1 LIMIT $2 OFFSET $3
