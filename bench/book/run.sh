#!/bin/sh
# The book: delta re-screen against a full re-screen of the same book, in one run
# (BENCHMARKS.md, "Book"). Builds only the embargo-book example in release (no
# DataFusion), then runs both list updates at RECORDS records (default 1,000,000).
#   bench/book/run.sh [RECORDS]
set -eu
cd "$(dirname "$0")/../.."
RECORDS=${1:-1000000}
SHARED=${EMBARGO_SHARED:-../shared}
UN=$SHARED/data/un-sc-consolidated/consolidated.xml
SDN=$SHARED/data/ofac-sdn/sdn.csv
cargo build --release -p embargo-book --example book_bench
BIN=${CARGO_TARGET_DIR:-target}/release/examples/book_bench
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), load: $(uptime | sed 's/.*load average: //')"
for update in listed book-names; do
  "$BIN" --update "$update" --records "$RECORDS" --list "$UN" --list "$SDN"
done
echo "# load after: $(uptime | sed 's/.*load average: //')"
