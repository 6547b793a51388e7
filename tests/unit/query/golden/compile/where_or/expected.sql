SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."name" ILIKE $1 OR "users"."created_at" >= $2 LIMIT $3 OFFSET $4
