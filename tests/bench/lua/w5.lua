-- W5: POST /api/orders/bulk — JSON arrays of BENCH_BULK_ROWS (1,000) orders
-- for random existing users (ids from BENCH_IDS_FILE), random totals and
-- statuses. Each thread pre-builds a few distinct bodies and cycles them.
-- BENCH_W5_VERSION=1 also sends "version":1 in every row (the model's
-- client-side default; off by default: a client need not send it).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local reqs, i = {}, 0
local STATUSES = { "pending", "paid", "shipped", "cancelled" }

function init(args)
   bench.seed()
   local ids = bench.read_ids()
   local rows = tonumber(bench.env("BENCH_BULK_ROWS", "1000"))
   local version = bench.env("BENCH_W5_VERSION", "0") == "1" and ',"version":1' or ""
   local headers = { ["Content-Type"] = "application/json" }
   for b = 1, 8 do
      local parts = {}
      for r = 1, rows do
         parts[r] = string.format('{"user_id":"%s","total":"%d.%02d","status":"%s"%s}',
                                  ids[math.random(#ids)], math.random(1, 999),
                                  math.random(0, 99), STATUSES[math.random(4)], version)
      end
      reqs[b] = wrk.format("POST", "/api/orders/bulk", headers,
                           "[" .. table.concat(parts, ",") .. "]")
   end
   i = math.random(#reqs) - 1
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
