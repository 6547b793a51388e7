SELECT "orders"."status" FROM "orders" GROUP BY "orders"."status" LIMIT $1 OFFSET $2
