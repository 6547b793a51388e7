-- W4: POST /api/users — creates users with unique emails: the run's nonce
-- (BENCH_NONCE), the thread number, a per-thread random tag and counter.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local prefix, n = nil, 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
   bench.seed()
   prefix = string.format("w4-%s-%d-%06x-", bench.env("BENCH_NONCE", "x"), tid or 0,
                          math.random(0, 0xffffff))
end

function request()
   n = n + 1
   return wrk.format("POST", "/api/users", headers,
                     '{"email":"' .. prefix .. n .. '@bench.example","name":"Bench User"}')
end
