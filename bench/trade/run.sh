#!/usr/bin/env bash
# Trade benchmark: synthetic Comtrade-shaped data (SYNTHETIC, for speed only).
# Usage: bench/trade/run.sh [ROWS]   (default 50000000)
# Needs: cargo, python3 with venv + pip (installs duckdb into bench/trade/.venv).
set -euo pipefail
ROWS="${1:-50000000}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${BENCH_WORK:-/tmp/embargo-bench-trade}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/trade-release}"
mkdir -p "$WORK"
cargo build --release --manifest-path "$HERE/Cargo.toml"
BIN="$CARGO_TARGET_DIR/release/embargo-bench-trade"
if [ ! -d "$HERE/.venv" ]; then
  python3 -m venv "$HERE/.venv"
  "$HERE/.venv/bin/pip" install --quiet duckdb
fi
PY="$HERE/.venv/bin/python"
echo "machine $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
echo "duckdb $("$PY" -c 'import duckdb; print(duckdb.__version__)')"
CSV="$WORK/synthetic-comtrade-$ROWS.csv"
[ -f "$CSV" ] || "$BIN" generate "$ROWS" "$CSV"
echo "csv_bytes $(stat -c %s "$CSV")"
rm -rf "$WORK/data"
"$BIN" import "$CSV" "$WORK/data"
"$PY" "$HERE/duckdb_peer.py" import "$CSV" "$WORK/duckdb.parquet"
"$BIN" exposure "$WORK/data"
"$PY" "$HERE/duckdb_peer.py" exposure "$WORK/data"
