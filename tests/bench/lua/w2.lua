-- W2: GET /api/users/{id}?include=orders for random existing users
-- (ids from BENCH_IDS_FILE): the entity plus one selectin statement.
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local reqs, i = {}, 0

function init(args)
   bench.seed()
   local ids = bench.read_ids()
   for k = 1, #ids do
      reqs[k] = wrk.format("GET", "/api/users/" .. ids[math.random(#ids)] .. "?include=orders")
   end
   i = math.random(#reqs) - 1
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
