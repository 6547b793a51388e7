SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE NOT ("users"."id" = ANY($1::uuid[])) LIMIT $2 OFFSET $3
