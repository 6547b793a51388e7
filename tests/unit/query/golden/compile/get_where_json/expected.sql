SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."email" LIKE $1 AND "users"."name" = $2 LIMIT $3 OFFSET $4
