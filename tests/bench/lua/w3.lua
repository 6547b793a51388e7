-- W3: POST /api/users/query — a like filter, ordering, limit 20 and
-- selectinload of the orders. One fixed document: wrk sends the same
-- pre-built request every time (no request() hook).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "POST"
wrk.path = "/api/users/query"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"where":{"email":{"like":"user1%"}},"order_by":[{"created_at":"desc"}],'
   .. '"limit":20,"options":[{"selectinload":"orders"}]}'
