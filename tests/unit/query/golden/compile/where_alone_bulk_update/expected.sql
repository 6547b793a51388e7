"accounts"."active" = $1 AND "accounts"."balance" < $2
