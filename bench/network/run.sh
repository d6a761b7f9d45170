#!/usr/bin/env bash
# Exposure benchmark (release): embargo-network's OFAC 50% rule against the same
# computation in SQLite (recursive CTE + iterated SQL fixpoint), same process, same machine.
# Sizes: BENCH_COMPANIES (default 1000000), BENCH_EDGES (5000000), BENCH_TARGETS (200).
# Output goes to stdout and to bench/network/results-<UTC date>.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/network-release}"
out="bench/network/results-$(date -u +%Y%m%d-%H%M).txt"
{
  echo "# $(date -u +%FT%TZ) $(uname -srm), $(nproc) cores"
  echo "# BENCH_COMPANIES=${BENCH_COMPANIES:-1000000} BENCH_EDGES=${BENCH_EDGES:-5000000} BENCH_TARGETS=${BENCH_TARGETS:-200}"
  cargo bench -p embargo-network --bench exposure
} | tee "$out.tmp"
mv "$out.tmp" "$out"
