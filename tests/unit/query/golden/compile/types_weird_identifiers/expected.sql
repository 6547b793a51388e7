SELECT "we""ird"."id", "we""ird"."co""l" FROM "we""ird" WHERE "we""ird"."co""l" = $1 ORDER BY "we""ird"."co""l" LIMIT $2 OFFSET $3
