SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."name" = $1 LIMIT $2 OFFSET $3
SELECT count(*) AS "count" FROM "users" WHERE "users"."name" = $1
