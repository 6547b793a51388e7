SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."name" IS NULL LIMIT $1 OFFSET $2
