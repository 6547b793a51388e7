-- W1: GET /api/users/{id} for random existing users (ids from BENCH_IDS_FILE).
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local reqs, i = {}, 0

-- Pre-formatted requests for random ids: request() then costs a table
-- lookup, not a wrk.format() per call.
function init(args)
   bench.seed()
   local ids = bench.read_ids()
   for k = 1, #ids do
      reqs[k] = wrk.format("GET", "/api/users/" .. ids[math.random(#ids)])
   end
   i = math.random(#reqs) - 1
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
