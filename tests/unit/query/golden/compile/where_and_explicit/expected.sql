SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."name" = $1 AND "users"."email" = $2 LIMIT $3 OFFSET $4
