SELECT "orders"."status", count(*) AS "n", sum("orders"."total") AS "revenue" FROM "orders" GROUP BY "orders"."status" LIMIT $1 OFFSET $2
