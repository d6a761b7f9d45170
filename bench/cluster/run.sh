#!/usr/bin/env bash
# Cluster benchmark: one exposure-like aggregation over a synthetic store (SYNTHETIC, for
# speed only), run locally, on a one-executor and on a two-executor loopback cluster.
# Usage: bench/cluster/run.sh [ROWS]   (default 10000000)
# Needs: an `embargo` binary ($EMBARGO, default: the release build under
# $CARGO_TARGET_DIR, built by this script), python3, GNU time.
#
# Steps, each under /usr/bin/time -v (wall time and peak RSS of the client):
#   generate   a plain CSV of ROWS rows, a tenth of them DPRK trade (kept between runs)
#   import     embargo trade import (CSV -> Parquet store)
#   local      embargo trade sql AGG                        (this process)
#   cluster1   embargo trade sql AGG --cluster df://...     (scheduler + 1 executor)
#   cluster2   the same with 2 executors
# Every cluster answer must equal the local one byte for byte, or the script stops.
# The nodes run on this machine: on loopback the executors share its cores with each
# other and the client, so this measures the cluster's overhead, not its scaling.
# Output: $WORK/results-ROWS.txt.
set -euo pipefail
ROWS="${1:-10000000}"
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="${BENCH_WORK:-/tmp/embargo-bench-cluster}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/cluster-release}"
mkdir -p "$WORK"
if [ -z "${EMBARGO:-}" ]; then
  cargo build --release --manifest-path "$ROOT/Cargo.toml" -p embargo-cli
  EMBARGO="$CARGO_TARGET_DIR/release/embargo"
fi
DATA="$WORK/data-$ROWS"
OUT="$WORK/results-$ROWS.txt"
: > "$OUT"
log() { echo "$*" | tee -a "$OUT"; }
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

step() {
  local name="$1"
  shift
  log "== $name: $*"
  log "uptime_before $(uptime)"
  /usr/bin/time -v "$@" > "$WORK/$name.out" 2> "$WORK/$name.time" || {
    cat "$WORK/$name.time" >&2
    exit 1
  }
  grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$WORK/$name.time" | tee -a "$OUT"
}

CSV="$WORK/trade-$ROWS.csv"
if [ ! -s "$CSV" ]; then
  log "== generate $ROWS rows"
  python3 - "$CSV" "$ROWS" <<'PY'
import sys
path, rows = sys.argv[1], int(sys.argv[2])
partners = ["KP", "RU", "JP", "KR", "VN", "US", "DE", "TH", "MY", "IN"]
hs = ["2701", "2601", "0301", "6110", "8703", "2709", "7108", "8471", "3004", "1006"]
with open(path, "w") as f:
    f.write("reporter,partner,flow,year,hs,value_usd,source,series\n")
    for n in range(rows):
        f.write(f"CN,{partners[n % 10]},{'import' if (n // 7) % 2 else 'export'},"
                f"{2010 + n % 12},{hs[(n // 3) % 10]},{1 + (n * 37) % 100000},synthetic,COMTRADE\n")
PY
fi
if [ ! -d "$DATA/trade" ]; then
  step import "$EMBARGO" --data "$DATA" trade import "$CSV" --name synthetic
fi

AGG="SELECT year, flow, hs, sum(value_usd) AS value_usd, count(*) AS n FROM trade \
WHERE partner = 'KP' AND (dprk OR dprk IS NULL) GROUP BY year, flow, hs ORDER BY year, flow, hs"

step local "$EMBARGO" --data "$DATA" --json trade sql "$AGG"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_cluster() {
  local executors="$1" name="cluster$1"
  local sched_port; sched_port="$(port)"
  EMBARGO_LOG=warn "$EMBARGO" --data "$DATA" cluster scheduler --bind "127.0.0.1:$sched_port" \
    2> "$WORK/$name-scheduler.log" &
  PIDS+=($!)
  for i in $(seq 1 "$executors"); do
    EMBARGO_LOG=info "$EMBARGO" --data "$DATA" cluster executor --scheduler "127.0.0.1:$sched_port" \
      --bind "127.0.0.1:$(port)" --grpc-port "$(port)" 2> "$WORK/$name-executor-$i.log" &
    PIDS+=($!)
  done
  for i in $(seq 1 "$executors"); do
    for _ in $(seq 1 300); do
      grep -q "registration succeed" "$WORK/$name-executor-$i.log" 2>/dev/null && break
      sleep 0.1
    done
    grep -q "registration succeed" "$WORK/$name-executor-$i.log" || {
      echo "executor $i did not register; see $WORK/$name-executor-$i.log" >&2
      exit 1
    }
  done
  step "$name" "$EMBARGO" --data "$DATA" --json trade sql "$AGG" --cluster "df://127.0.0.1:$sched_port"
  cmp "$WORK/local.out" "$WORK/$name.out" || {
    echo "$name answered differently from the local run" >&2
    exit 1
  }
  cleanup
  PIDS=()
}

run_cluster 1
run_cluster 2
log "results in $OUT"
