#!/usr/bin/env bash
# Cluster benchmark: an exposure-like aggregation over a synthetic store, a batch check of
# synthetic shipments and a batch screening of synthetic names (SYNTHETIC, for speed only),
# each run locally, on a one-executor and on a two-executor loopback cluster: as `trade
# sql` statements (check(...), screen(...) counted by answer) and as the batch commands
# themselves (`check --batch`, `screen --batch`: every row's answer written, every
# screened row audited).
# Usage: bench/cluster/run.sh [ROWS [SHIPMENTS [NAMES]]]   (default 10000000 2000000 100000)
# Needs: an `embargo` binary ($EMBARGO, default: the release build under
# $CARGO_TARGET_DIR, built by this script), python3, GNU time.
#
# Steps, each under /usr/bin/time -v (wall time and peak RSS of the client):
#   generate   a plain CSV of ROWS rows, a tenth of them DPRK trade (kept between runs)
#   import     embargo trade import (CSV -> Parquet store)
#   local-Q    embargo trade sql Q                          (this process)
#   clusterN-Q embargo trade sql Q --cluster df://...       (scheduler + N executors)
# for Q in agg (the aggregation), check (check(...) over every shipment of a CSV, counted
# by verdict) and screen (screen(...) over every name of a CSV against the UN list of
# ../shared, counted by decision; skipped when the list is not there), and
#   local-B / clusterN-B     embargo check --batch / screen --batch [--cluster df://...]
# for B in batch-check (CSV of verdicts to stdout) and batch-screen (CSV to stdout).
# Every cluster answer must equal the local one byte for byte, or the script stops.
# The nodes run on this machine: on loopback the executors share its cores with each
# other and the client, so this measures the cluster's overhead, not its scaling.
# DROP_CACHES=1 (as root) empties the page cache before each step and reads the batch
# inputs back in: on a VM whose page cache is full, reclaiming it costs a step seconds.
# Output: $WORK/results-ROWS.txt.
set -euo pipefail
ROWS="${1:-10000000}"
SHIPMENTS="${2:-2000000}"
NAMES="${3:-100000}"
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
  # The step before's output written back first: no step pays for another's writeback.
  sync
  # DROP_CACHES=1 (root): each step starts from an emptied page cache with the batch
  # inputs read back in, so that no step pays for reclaiming what another left.
  if [ -n "${DROP_CACHES:-}" ]; then
    echo 1 > /proc/sys/vm/drop_caches
    for f in "${SHIP:-}" "${NAMES_CSV:-}"; do
      if [ -f "$f" ]; then cat "$f" > /dev/null; fi
    done
  fi
  /usr/bin/time -v "$@" > "$WORK/$name.out" 2> "$WORK/$name.time" || {
    cat "$WORK/$name.time" >&2
    exit 1
  }
  grep -E "Elapsed \(wall clock\)|Maximum resident set size" "$WORK/$name.time" | tee -a "$OUT"
}

# generate KIND PATH ROWS: a synthetic input, kept between runs of the same size.
generate() {
  [ -s "$2" ] && return
  log "== generate $3 $1"
  python3 "$HERE/generate.py" "$1" "$2" "$3"
}
CSV="$WORK/trade-$ROWS.csv"
generate trade "$CSV" "$ROWS"
if [ ! -d "$DATA/trade" ]; then
  step import "$EMBARGO" --data "$DATA" trade import "$CSV" --name synthetic
fi
SHIP="$WORK/shipments-$SHIPMENTS.csv"
generate shipments "$SHIP" "$SHIPMENTS"
NAMES_CSV="$WORK/names-$NAMES.csv"
generate names "$NAMES_CSV" "$NAMES"
LIST="$ROOT/../shared/data/un-sc-consolidated/consolidated.xml"
if [ -f "$LIST" ] && [ ! -d "$DATA/lists" ]; then
  "$EMBARGO" --data "$DATA" lists import --source un "$LIST" > /dev/null
fi

AGG="SELECT year, flow, hs, sum(value_usd) AS value_usd, count(*) AS n FROM trade \
WHERE partner = 'KP' AND (dprk OR dprk IS NULL) GROUP BY year, flow, hs ORDER BY year, flow, hs"
CHECK="SELECT get_field(c, 'verdict') AS verdict, count(*) AS n FROM (SELECT check(hs, origin, \
destination, date, quantity, unit, value_usd) AS c FROM read_csv('$SHIP')) GROUP BY 1 ORDER BY 1"
SCREEN="SELECT get_field(s, 'decision') AS decision, count(*) AS n FROM (SELECT screen(name, \
schema, dob, country) AS s FROM read_csv('$NAMES_CSV')) GROUP BY 1 ORDER BY 1"
QUERIES=(agg check)
[ -d "$DATA/lists" ] && QUERIES+=(screen)
query() {
  case "$1" in agg) echo "$AGG" ;; check) echo "$CHECK" ;; screen) echo "$SCREEN" ;; esac
}
BATCHES=(batch-check)
[ -d "$DATA/lists" ] && BATCHES+=(batch-screen)
batch() {
  case "$1" in
    batch-check) echo check --batch "$SHIP" --format csv ;;
    batch-screen) echo screen --batch "$NAMES_CSV" --format csv ;;
  esac
}
log "shipments $SHIPMENTS names $NAMES queries ${QUERIES[*]} ${BATCHES[*]}"

for q in "${QUERIES[@]}"; do
  step "local-$q" "$EMBARGO" --data "$DATA" --json trade sql "$(query "$q")"
done
for b in "${BATCHES[@]}"; do
  # shellcheck disable=SC2046 # the command's words
  step "local-$b" "$EMBARGO" --data "$DATA" $(batch "$b")
done

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
  for q in "${QUERIES[@]}"; do
    step "$name-$q" "$EMBARGO" --data "$DATA" --json trade sql "$(query "$q")" \
      --cluster "df://127.0.0.1:$sched_port"
    cmp "$WORK/local-$q.out" "$WORK/$name-$q.out" || {
      echo "$name answered $q differently from the local run" >&2
      exit 1
    }
  done
  for b in "${BATCHES[@]}"; do
    # shellcheck disable=SC2046 # the command's words
    step "$name-$b" "$EMBARGO" --data "$DATA" $(batch "$b") --cluster "df://127.0.0.1:$sched_port"
    cmp "$WORK/local-$b.out" "$WORK/$name-$b.out" || {
      echo "$name wrote $b differently from the local run" >&2
      exit 1
    }
    rm -f "$WORK/$name-$b.out"
  done
  cleanup
  PIDS=()
}

run_cluster 1
run_cluster 2
log "results in $OUT"
