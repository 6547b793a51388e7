SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."email" LIKE $1 AND "users"."name" = $2 AND "users"."created_at" >= $3 LIMIT $4 OFFSET $5
