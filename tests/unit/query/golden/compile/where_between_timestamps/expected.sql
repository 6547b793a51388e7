SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."created_at" BETWEEN $1 AND $2 LIMIT $3 OFFSET $4
