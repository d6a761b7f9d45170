#!/usr/bin/env bash
# A/B of two builds of examples/screen_perf on the same machine, alternating runs so that
# drift on a shared host falls on both; prints the medians of single-query CPU p50, batch
# queries/s (2 threads) and pairs/s.
#
# usage: bench/screen/ab.sh SCREEN_PERF_A SCREEN_PERF_B [ROUNDS]      (default 5 rounds)
# e.g. build commit X in a worktree with its own CARGO_TARGET_DIR, copy its
#      target/release/examples/screen_perf aside, and compare with the current one.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${EMBARGO_SHARED:-$root/../shared}"
a="$1"; b="$2"; rounds="${3:-5}"
for _ in $(seq "$rounds"); do
  for bin in "$a" "$b"; do
    "$bin" "$shared/data/un-sc-consolidated/consolidated.xml" "$shared/data/ofac-sdn/sdn.csv" \
      "$shared/data/peer-cases/nomenklatura/name_bench_cases.csv" 30000 |
      python3 -c 'import json,sys; r=json.load(sys.stdin); print(sys.argv[1], r["single_query_cpu_us"]["p50"], r["batch"]["queries_per_second"], r["pairs"]["pairs_per_second"])' "$bin"
  done
done | python3 -c '
import sys, statistics as st
runs = {}
for line in sys.stdin:
    name, p50, qps, pps = line.split()
    runs.setdefault(name, []).append((float(p50), float(qps), float(pps)))
for name, v in runs.items():
    print(f"{name}: cpu p50 median {st.median(x[0] for x in v):.1f} us (min {min(x[0] for x in v):.1f}), "
          f"batch {st.median(x[1] for x in v):,.0f} q/s, pairs {st.median(x[2] for x in v):,.0f}/s, {len(v)} runs")
'
