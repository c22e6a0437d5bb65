-- wrk script for benches/map.sh: GET /api/v1/reports?bbox=... for one box.
-- Arguments: BBOX (minLon,minLat,maxLon,maxLat) and MODE:
--   same     every request asks for the same box (re-polling: the server's per-process
--            cache answers after the first request, after checking the map generation);
--   shifted  every request asks for a box moved by a random fraction of its size, so no
--            two requests are alike and each one runs the database query.
local bbox, mode
local min_lon, min_lat, max_lon, max_lat

function init(args)
  bbox = args[1]
  mode = args[2] or "same"
  local parts = {}
  for v in string.gmatch(bbox, "[^,]+") do parts[#parts + 1] = tonumber(v) end
  min_lon, min_lat, max_lon, max_lat = parts[1], parts[2], parts[3], parts[4]
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  if mode == "shifted" then
    local dx = (max_lon - min_lon) * (math.random() - 0.5) * 0.2
    local dy = (max_lat - min_lat) * (math.random() - 0.5) * 0.2
    local path = string.format("/api/v1/reports?bbox=%.6f,%.6f,%.6f,%.6f", min_lon + dx, min_lat + dy, max_lon + dx, max_lat + dy)
    return wrk.format("GET", path)
  end
  return wrk.format("GET", "/api/v1/reports?bbox=" .. bbox)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "MELDPUNT_BENCH requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d bytes_per_request=%.0f\n",
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, summary.bytes / math.max(summary.requests, 1)))
end
