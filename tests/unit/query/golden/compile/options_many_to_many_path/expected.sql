SELECT "books"."id", "books"."title" FROM "books" LIMIT $1 OFFSET $2
