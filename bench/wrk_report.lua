-- wrk reporter for bench/bench_api.py: one machine-readable line with the percentiles that
-- wrk's own --latency table leaves out (p95) and the count of non-2xx/3xx answers.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write("ESM-RESULT ")
  io.write(string.format("requests=%d duration_us=%d non2xx=%d socket_errors=%d ",
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("p%d_us=%d ", p, latency:percentile(p)))
  end
  io.write(string.format("max_us=%d\n", latency.max))
end
