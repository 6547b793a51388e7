SELECT "orders"."id", "orders"."user_id", "orders"."total", "orders"."status", "orders"."version", "orders"."created_at" FROM "orders" WHERE "orders"."total" BETWEEN $1 AND $2 LIMIT $3 OFFSET $4
