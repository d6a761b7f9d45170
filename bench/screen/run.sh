#!/usr/bin/env bash
# Screening benchmarks: embargo (release build) against the whole UN consolidated list plus
# the whole OFAC SDN, and nomenklatura's LogicV2 (from PyPI, in a virtualenv) on the same
# name pairs, in the same run. Results go to stdout as JSON; docs/bench-screening.md quotes them.
#
# usage: bench/screen/run.sh [BATCH_QUERIES]     (default 1000000)
# env:   EMBARGO_SHARED (default ../shared), BENCH_VENV (default target dir/bench-venv),
#        CARGO_TARGET_DIR, EMBARGO_BIN (a release `embargo` binary: when set, the same batch
#        also runs end to end through `embargo screen --batch`, CSV in, JSON lines out). The start and end lines give the load average: on a shared machine
#        compare the CPU-time latencies (single_query_cpu_us) rather than wall-clock ones.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${EMBARGO_SHARED:-$root/../shared}"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="${BENCH_VENV:-$target/bench-venv}"
batch="${1:-1000000}"
cases="$shared/data/peer-cases/nomenklatura/name_bench_cases.csv"

echo "== machine: $(nproc) cores, $(uname -srm)" >&2
echo "== start: $(date -u +%FT%TZ), load: $(uptime)" >&2
echo "== building embargo (release)" >&2
(cd "$root" && cargo build --release -p embargo-screen --example screen_perf >&2)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== embargo: single-query latency, batch throughput (2 threads), pairs/s (1 thread)" >&2
"$target/release/examples/screen_perf" \
  "$shared/data/un-sc-consolidated/consolidated.xml" "$shared/data/ofac-sdn/sdn.csv" "$cases" "$batch" \
  "$work/queries.csv"

if [ -n "${EMBARGO_BIN:-}" ]; then
  echo "== embargo screen --batch, end to end: $batch rows CSV -> JSON lines, 2 threads" >&2
  "$EMBARGO_BIN" --data "$work/data" lists import "$shared/data/un-sc-consolidated/consolidated.xml" >&2
  "$EMBARGO_BIN" --data "$work/data" lists import "$shared/data/ofac-sdn/sdn.csv" >&2
  /usr/bin/time -f '{"cli_batch": {"rows": '"$batch"', "seconds": %e, "user_s": %U, "max_rss_kb": %M}}' \
    "$EMBARGO_BIN" --data "$work/data" screen --batch "$work/queries.csv" --out "$work/hits.jsonl" \
    --threads 2 2>&1 >/dev/null | grep '^{' || true
  echo "== output: $(wc -l < "$work/hits.jsonl") lines, $(du -h "$work/hits.jsonl" | cut -f1)" >&2
fi

echo "== nomenklatura LogicV2 (PyPI) on the same pairs" >&2
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet nomenklatura >&2
fi
"$venv/bin/python" -c 'import importlib.metadata as m; print("nomenklatura", m.version("nomenklatura"))' >&2
"$venv/bin/python" "$root/bench/screen/logicv2_pairs.py" "$cases" 3
echo "== end: $(date -u +%FT%TZ), load: $(uptime)" >&2
