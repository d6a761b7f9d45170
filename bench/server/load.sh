#!/usr/bin/env bash
# Bounded load run on loopback: wrk sends a mix of shipment checks (3/4) and screenings
# (1/4, each audited) to `embargo serve`, then the same connection count to a minimal axum
# endpoint (bench/server/hello) as the ceiling, in the same run on the same machine.
# Only 127.0.0.1 is contacted; each run lasts DURATION seconds (default 10).
#
# Usage: bench/server/load.sh [DURATION] [CONNECTIONS]
#   SPLIT=0      skip the checks-only and screens-only runs after the mix
#   EMBARGO_BIN  embargo binary (default target/release/embargo)
#   HELLO_BIN    peer binary (default: built from bench/server/hello in release)
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DURATION=${1:-10}
CONNS=${2:-32}
THREADS=1
BIN=${EMBARGO_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/embargo}
[ -x "$BIN" ] || { echo "build first: cargo build --release -p embargo-cli (or set EMBARGO_BIN)"; exit 1; }
command -v wrk >/dev/null || { echo "notice: wrk not installed (apt-get install wrk); skipping"; exit 0; }
if [ -z "${HELLO_BIN:-}" ]; then
    (cd bench/server/hello && cargo build -q --release)
    HELLO_BIN="${CARGO_TARGET_DIR:-$ROOT/bench/server/hello/target}/release/embargo-bench-hello"
fi
SHARED=${EMBARGO_SHARED:-$ROOT/../shared}
UN_XML="$SHARED/data/un-sc-consolidated/consolidated_dprk.xml"
OFAC_CSV="$SHARED/data/ofac-sdn/sdn.csv"

WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1"; exit 1; }

P1=$(port)
RUST_LOG=warn "$BIN" --data "$WORK/data" serve --addr "127.0.0.1:$P1" 2>"$WORK/server.log" &
PIDS+=($!)
wait_up "http://127.0.0.1:$P1/health"
KEY=$("$BIN" --data "$WORK/data" --json serve keys create --label load | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -fs -o /dev/null -X PUT -H "x-api-key: $KEY" --data-binary "@$UN_XML" "http://127.0.0.1:$P1/api/v1/lists/un"
curl -fs -o /dev/null -X PUT -H "x-api-key: $KEY" --data-binary "@$OFAC_CSV" "http://127.0.0.1:$P1/api/v1/lists/ofac"
curl -fs "http://127.0.0.1:$P1/api/v1/lists" | python3 -c 'import json,sys; print("lists:", ", ".join("%s %d entries" % (l["source"], l["entities"]) for l in json.load(sys.stdin)["lists"]))'

P2=$(port)
"$HELLO_BIN" "127.0.0.1:$P2" &
PIDS+=($!)
wait_up "http://127.0.0.1:$P2/"

echo "machine: $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== embargo serve: mixed check (3/4) + screen (1/4), ${DURATION}s, $CONNS connections"
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/server/mixed.lua "http://127.0.0.1:$P1" | tee "$WORK/embargo.txt"
echo "== peer: minimal axum POST endpoint, same wrk settings"
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/server/hello.lua "http://127.0.0.1:$P2" | tee "$WORK/hello.txt"
if [ "${SPLIT:-1}" = 1 ]; then
    # The two halves of the mix on the same server: what a check and what an (audited)
    # screening cost on their own.
    SPLIT_S=$(( DURATION / 2 > 0 ? DURATION / 2 : 1 ))
    echo "== split: checks only (SCREEN_EVERY=0), ${SPLIT_S}s"
    SCREEN_EVERY=0 wrk -t"$THREADS" -c"$CONNS" -d"${SPLIT_S}s" --latency -s bench/server/mixed.lua "http://127.0.0.1:$P1" | grep '^mixed:'
    echo "== split: screens only (SCREEN_EVERY=1), ${SPLIT_S}s"
    SCREEN_EVERY=1 wrk -t"$THREADS" -c"$CONNS" -d"${SPLIT_S}s" --latency -s bench/server/mixed.lua "http://127.0.0.1:$P1" | grep '^mixed:'
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true
"$BIN" --data "$WORK/data" audit verify | tee "$WORK/verify.txt"
python3 - "$WORK/embargo.txt" "$WORK/hello.txt" <<'PY'
import re, sys
def rps(path):
    m = re.search(r"rps=(\d+)", open(path).read())
    return int(m.group(1)) if m else 0
a, b = rps(sys.argv[1]), rps(sys.argv[2])
print(f"ratio embargo/peer: {a}/{b} = {a / b:.2f}" if b else "peer gave no rate")
PY
