-- W0 (diagnostic, not in the default set): GET /health — the HTTP layer
-- alone, no database: the most any /api route could reach.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

wrk.method = "GET"
wrk.path = "/health"
