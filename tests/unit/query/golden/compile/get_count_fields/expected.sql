SELECT "users"."id", "users"."email" FROM "users" LIMIT $1 OFFSET $2
SELECT count(*) AS "count" FROM "users"
