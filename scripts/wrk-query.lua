-- GET /api/query at seeded random points over the bundled data's box, each on a random day of
-- 2011–2025, so that answers need every tick's control map; run the same command on /healthz
-- (without -s) to compare throughput:
--
--   wrk -t1 -c16 -d10s -s scripts/wrk-query.lua http://127.0.0.1:8080
--   wrk -t1 -c16 -d10s http://127.0.0.1:8080/healthz
math.randomseed(11)
local paths = {}
for i = 1, 10000 do
  local lon = 35.70 + math.random() * 1.60
  local lat = 33.30 + math.random() * 2.70
  local day = 1293840000 + math.floor(math.random() * 5478) * 86400 -- 2011-01-01 + 0..5477 days
  paths[i] = string.format("/api/query?lon=%.5f&lat=%.5f&at=%s", lon, lat, os.date("!%Y-%m-%d", day))
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
