SELECT "users"."id", "users"."email", "users"."name", "users"."created_at" FROM "users" WHERE "users"."name" = ANY($1::text[]) LIMIT $2 OFFSET $3
