SELECT "users"."email", "users"."id" FROM "users" LIMIT $1 OFFSET $2
