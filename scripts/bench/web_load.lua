-- wrk script for scripts/bench/web_load.sh: GET /api/v1/search cycling through the queries of a
-- judgement file (`query<TAB>tags`, lines starting with # skipped), then one summary line.
--     wrk ... -s scripts/bench/web_load.lua URL -- QUERIES.tsv [LIMIT]
-- LIMIT is the page size asked for (default 20: what the load-test figures in docs/BENCHMARKS.md used).

local paths = {}
local counter = 0

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function init(args)
  local file = args[1] or error("usage: -- QUERIES.tsv [LIMIT]")
  local limit = args[2] or "20"
  for line in io.lines(file) do
    local query = line:match("^([^\t]+)\t")
    if query and not line:match("^#") then
      paths[#paths + 1] = "/api/v1/search?q=" .. urlencode(query) .. "&limit=" .. limit
    end
  end
  if #paths == 0 then error("no queries in " .. file) end
  -- Threads start at different queries.
  counter = math.random(#paths)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f qps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d non2xx=%d timeouts=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, e.status, e.timeout))
end
