-- tests/bench/lua/common.lua — shared by the w*.lua wrk scripts (dofile).
--
-- Gives every wrk thread a number (tid), reads the file of user ids,
-- seeds the random generator per thread, counts response statuses per
-- thread (when BENCH_STATUSES is not 0) and, in done(), prints one
-- machine-readable line for tests/bench/run:
--
--   BENCH_RESULT requests=… duration_us=… p50_us=… p99_us=… … non2xx=… statuses=200:n,…
--   BENCH_FIRST_ERROR <status> <first 300 bytes of the body>   (when any)
--
-- Environment: BENCH_IDS_FILE (one user id per line), BENCH_NONCE (a
-- per-run string for unique values), BENCH_STATUSES (1: count every status
-- in a response() hook — wrk then hands every response to Lua, which costs
-- client CPU; 0: no hook, non-2xx is wrk's own count of statuses > 399).

bench = {}

function bench.env(name, default)
   local v = os.getenv(name)
   if v == nil or v == "" then return default end
   return v
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

-- Called from each workload's init(): a per-thread random sequence.
function bench.seed()
   local t = tid or 0
   local clock = math.floor((os.clock() * 1000000) % 1000000)
   math.randomseed(os.time() + t * 7919 + clock)
   -- LuaJIT's first values after seeding are poorly mixed
   for _ = 1, 10 do math.random() end
end

function bench.read_ids()
   local path = bench.env("BENCH_IDS_FILE", nil)
   assert(path, "BENCH_IDS_FILE is not set")
   local ids = {}
   for line in io.lines(path) do
      if #line > 0 then ids[#ids + 1] = line end
   end
   assert(#ids > 0, "no ids in " .. path)
   return ids
end

-- Per-thread status counts; wrk copies these tables out in done().
local count_statuses = bench.env("BENCH_STATUSES", "1") ~= "0"
if count_statuses then
   statuses = {}
   first_error = false
   function response(status, headers, body)
      statuses[status] = (statuses[status] or 0) + 1
      if (status < 200 or status > 299) and not first_error then
         first_error = tostring(status) .. " " .. string.sub(body or "", 1, 300)
      end
   end
end

function done(summary, latency, requests)
   local agg, sample = {}, nil
   for _, t in ipairs(threads) do
      local s = t:get("statuses")
      if type(s) == "table" then
         for k, v in pairs(s) do agg[k] = (agg[k] or 0) + v end
      end
      local fe = t:get("first_error")
      if type(fe) == "string" and not sample then sample = fe end
   end
   local non2xx, parts, keys = 0, {}, {}
   for k in pairs(agg) do keys[#keys + 1] = k end
   table.sort(keys)
   for _, k in ipairs(keys) do
      if k < 200 or k > 299 then non2xx = non2xx + agg[k] end
      parts[#parts + 1] = k .. ":" .. agg[k]
   end
   local e = summary.errors
   if not count_statuses then non2xx = e.status end
   io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d bytes=%d mean_us=%.1f p50_us=%d p90_us=%d "
         .. "p99_us=%d max_us=%d connect=%d read=%d write=%d timeout=%d status_gt399=%d "
         .. "non2xx=%d statuses=%s\n",
      summary.requests, summary.duration, summary.bytes, latency.mean,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.timeout, e.status, non2xx,
      #parts > 0 and table.concat(parts, ",") or (count_statuses and "none" or "not-counted")))
   if sample then
      io.write("BENCH_FIRST_ERROR " .. (string.gsub(sample, "[\r\n]+", " ")) .. "\n")
   end
end
