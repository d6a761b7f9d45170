-- wrk script: a mix of shipment checks and screenings (read endpoints of embargo serve).
-- Every 4th request (SCREEN_EVERY) screens a name; the others check shipments. Bodies rotate through
-- fixed lists so the server cannot answer from one cached path.
local checks = {
  '{"hs":"2701","origin":"KP","destination":"CN","date":"2017-09-15"}',
  '{"hs":"2701","origin":"KP","destination":"CN","date":"2016-06-01"}',
  '{"hs":"8471","origin":"CN","destination":"KP","date":"2018-06-01"}',
  '{"hs":"0302","origin":"KP","destination":"CN","date":"2018-01-10"}',
  '{"hs":"6109","origin":"KP","destination":"CN","date":"2017-12-01"}',
  '{"hs":"2710","origin":"RU","destination":"KP","date":"2018-03-01","quantity":1000,"unit":"bbl"}',
}
local screens = {
  '{"name":"Yun Ho Jin","schema":"person"}',
  '{"name":"KOREA MINING DEVELOPMENT TRADING CORPORATION"}',
  '{"name":"Ri Je Son"}',
  '{"name":"Astrid Lindgren"}',
  '{"name":"TANCHON COMMERCIAL BANK","schema":"organization"}',
}
local n = 0
-- SCREEN_EVERY=k: every k-th request screens (default 4); 0 = checks only; 1 = screens only.
local every = tonumber(os.getenv("SCREEN_EVERY") or "4")
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"

request = function()
  n = n + 1
  if every > 0 and n % every == 0 then
    return wrk.format(nil, "/api/v1/screen", nil, screens[math.floor(n / every) % #screens + 1])
  end
  return wrk.format(nil, "/api/v1/check", nil, checks[n % #checks + 1])
end

done = function(summary, latency, requests)
  io.write(string.format("mixed: requests=%d non200=%d socket_errors=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f rps=%.0f\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests / (summary.duration / 1e6)))
end
