SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" ORDER BY "users"."created_at" DESC, "users"."id" LIMIT $1 OFFSET $2
