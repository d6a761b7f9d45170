-- wrk script for the peer: the same request shape (POST, small JSON body) to bench/server/hello.
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"hs":"2701","origin":"KP","destination":"CN","date":"2017-09-15"}'

done = function(summary, latency, requests)
  io.write(string.format("hello: requests=%d non200=%d socket_errors=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f rps=%.0f\n",
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests / (summary.duration / 1e6)))
end
