SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."created_at" = $1 OR "users"."created_at" = $2 OR "users"."created_at" < $3 LIMIT $4 OFFSET $5
