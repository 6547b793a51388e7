SELECT sum("accounts"."balance") AS "total", avg("accounts"."rate") AS "avg_rate" FROM "accounts" LIMIT $1 OFFSET $2
SELECT count(*) AS "count" FROM (SELECT sum("accounts"."balance") AS "total", avg("accounts"."rate") AS "avg_rate" FROM "accounts") AS "groups"
