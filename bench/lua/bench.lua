-- wrk script for the end-to-end bench. Environment:
--   WRK_MODE     get (default) | pipeline | post | close (a new connection per request)
--   WRK_PIPELINE requests per batch in pipeline mode (default 16)
--   WRK_BODY     POST body size in bytes (default 1024)
-- done() prints one line "WRKJSON {...}" that bench/e2e.mjs reads.

local mode = os.getenv("WRK_MODE") or "get"

if mode == "post" then
  wrk.method = "POST"
  wrk.body = string.rep("x", tonumber(os.getenv("WRK_BODY") or "1024"))
  wrk.headers["Content-Type"] = "text/plain"
end

if mode == "close" then
  wrk.headers["Connection"] = "close"
end

if mode == "pipeline" then
  local depth = tonumber(os.getenv("WRK_PIPELINE") or "16")
  local batch
  init = function(args)
    local r = {}
    for i = 1, depth do r[i] = wrk.format(nil, "/") end
    batch = table.concat(r)
  end
  request = function() return batch end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"lat_mean_us":%.1f,"lat_p50_us":%d,"lat_p99_us":%d,"lat_max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(99), latency.max))
end
