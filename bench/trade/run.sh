#!/usr/bin/env bash
# Trade benchmark: synthetic Comtrade-shaped data (SYNTHETIC, for speed only).
# Usage: bench/trade/run.sh [ROWS]   (default 50000000)
#        SHAPE=baci bench/trade/run.sh [ROWS]   (CEPII BACI's layout instead of Comtrade's)
# Needs: cargo, python3 with venv + pip (installs duckdb into bench/trade/.venv), GNU time.
#
# Steps, each its own process under /usr/bin/time -v (wall time and peak RSS):
#   generate   the synthetic CSV (kept between runs of the same size)
#   import     embargo: CSV -> Parquet store        | DuckDB: COPY read_csv -> Parquet
#   exposure   embargo: the engine plan (TradeStore::dprk_trade) + embargo_analysis::exposure
#   relief     embargo: the same plan + relief of the bundled China–Russia draft
#   signals    embargo: the same plan + signals
#   sql        the same aggregation as SQL, run directly by DataFusion
#   sql_layout the same SQL with the store's `dprk` filter (skips other row groups)
#   duckdb     the same SQL (both forms) run by DuckDB over the same Parquet files
# `sql` and `duckdb` fail unless every (year, measure) value and row count equals embargo's.
# Output: $WORK/results-ROWS.txt (name value lines, time -v summaries, uptime before steps).
set -euo pipefail
ROWS="${1:-50000000}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${BENCH_WORK:-/tmp/embargo-bench-trade}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/trade-release}"
mkdir -p "$WORK"
cargo build --release --manifest-path "$HERE/Cargo.toml"
BIN="$CARGO_TARGET_DIR/release/embargo-bench-trade"
if [ ! -x "$HERE/.venv/bin/python" ]; then
  python3 -m venv "$HERE/.venv"
fi
"$HERE/.venv/bin/python" -c "import duckdb" 2>/dev/null || "$HERE/.venv/bin/pip" install --quiet duckdb
PY="$HERE/.venv/bin/python"
OUT="$WORK/results-${SHAPE:-comtrade}-$ROWS.txt"
: > "$OUT"
log() { echo "$*" | tee -a "$OUT"; }

# step NAME CMD...: runs CMD under GNU time, keeps its name-value lines and the summary.
step() {
  local name="$1"
  shift
  log "== $name: $*"
  log "uptime_before $(uptime)"
  /usr/bin/time -v -o "$WORK/time-$name.txt" "$@" | tee -a "$OUT"
  grep -E "Elapsed \(wall|Maximum resident|User time|System time|Percent of CPU" \
    "$WORK/time-$name.txt" | sed "s/^\s*/time_$name: /" | tee -a "$OUT"
}

log "machine $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(uname -r)"
log "duckdb $("$PY" -c 'import duckdb; print(duckdb.__version__)')"
log "rows $ROWS"
SHAPE="${SHAPE:-comtrade}"
log "shape $SHAPE"
if [ "$SHAPE" = baci ]; then
  mkdir -p "$WORK/baci-$ROWS"
  CSV="$WORK/baci-$ROWS/BACI_HS17_Y2019_V202401b.csv"
  [ -f "$CSV" ] || step generate "$BIN" generate-baci "$ROWS" "$CSV"
else
  CSV="$WORK/synthetic-comtrade-$ROWS.csv"
  [ -f "$CSV" ] || step generate "$BIN" generate "$ROWS" "$CSV"
fi
log "csv_bytes $(stat -c %s "$CSV")"
rm -rf "$WORK/data" "$WORK/duckdb.parquet"
# Read the file once before either import, so that neither pays for bringing it into the
# page cache (the first reader of a 7.7 GB file spends seconds of system time on it).
cat "$CSV" > /dev/null
step import "$BIN" import "$CSV" "$WORK/data"
sync # the store on disk before the next step, which would otherwise pay for its writeback
step duckdb_import "$PY" "$HERE/duckdb_peer.py" import "$CSV" "$WORK/duckdb.parquet"
log "duckdb_parquet_bytes $(stat -c %s "$WORK/duckdb.parquet")"
rm -f "$WORK/duckdb.parquet"
sync
step exposure "$BIN" exposure "$WORK/data"
step relief "$BIN" relief "$WORK/data"
step signals "$BIN" signals "$WORK/data"
step sql "$BIN" sql "$WORK/data"
step sql_layout "$BIN" sql-layout "$WORK/data"
step duckdb_sql "$PY" "$HERE/duckdb_peer.py" exposure "$WORK/data"
step duckdb_sql_layout "$PY" "$HERE/duckdb_peer.py" exposure-layout "$WORK/data"
log "done; results in $OUT"
