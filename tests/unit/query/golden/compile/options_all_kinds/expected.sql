SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" LIMIT $1 OFFSET $2
