#!/usr/bin/env bash
# Fault test on loopback: kill the server (SIGKILL) in the middle of list imports while
# screenings are being audited, restart it, and check after every kill that
#   - the server starts and answers on a complete list version (the old one, or the new
#     one if the store's pointer had already flipped), never a half-written one;
#   - screening works and names that version;
#   - `embargo audit verify` passes (no torn or half-chained record).
# Bounded: ROUNDS kills (default 12), each within ~3 s. Only 127.0.0.1 is contacted.
#
# Usage: bench/server/faults.sh [ROUNDS]   (EMBARGO_BIN defaults to the release build;
#        KILL_MAX_MS, default 900, spreads the kill points over 20 ms … that: a release
#        build imports the full list in well under 100 ms, so use ~100 to land kills
#        inside its imports)
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
ROUNDS=${1:-12}
BIN=${EMBARGO_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/embargo}
[ -x "$BIN" ] || { echo "build first: cargo build --release -p embargo-cli (or set EMBARGO_BIN)"; exit 1; }
SHARED=${EMBARGO_SHARED:-$ROOT/../shared}
SMALL="$SHARED/data/un-sc-consolidated/consolidated_dprk.xml"
LARGE="$SHARED/data/un-sc-consolidated/consolidated.xml"
[ -f "$SMALL" ] && [ -f "$LARGE" ] || { echo "notice: ../shared lists absent, skipping"; exit 0; }

WORK=$(mktemp -d)
DATA="$WORK/data"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
PID=""
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

start() {
    "$BIN" --data "$DATA" serve --addr "127.0.0.1:$PORT" --log-format json 2>>"$WORK/server.log" &
    PID=$!
    for _ in $(seq 1 200); do curl -fs "$BASE/health" >/dev/null 2>&1 && return 0; sleep 0.05; done
    echo "server did not start"; tail -5 "$WORK/server.log"; exit 1
}

active_un() { curl -fs "$BASE/api/v1/lists" | python3 -c 'import json,sys; l=[x for x in json.load(sys.stdin)["lists"] if x["source"]=="un"]; print(l[0]["version"] + " " + str(l[0]["entities"]) if l else "none")'; }

start
KEY=$("$BIN" --data "$DATA" --json serve keys create --label faults | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -fs -o /dev/null -X PUT -H "x-api-key: $KEY" --data-binary "@$SMALL" "$BASE/api/v1/lists/un" || { echo "first import failed"; exit 1; }
echo "round kill_after_ms active_before -> active_after entities audit"
FAILED=0
for round in $(seq 1 "$ROUNDS"); do
    before=$(active_un)
    # Alternate the file so every import really changes the list.
    if [ $((round % 2)) = 1 ]; then FILE=$LARGE; else FILE=$SMALL; fi
    # Screenings in the background: audit records are being committed when the kill lands.
    ( for _ in $(seq 1 400); do
        curl -s -o /dev/null -H 'content-type: application/json' -d '{"name":"Yun Ho Jin"}' "$BASE/api/v1/screen" || break
      done ) &
    LOAD=$!
    # allow_shrink: going from the full list back to the DPRK extract is a deliberate shrink.
    curl -s -o /dev/null -X PUT -H "x-api-key: $KEY" --data-binary "@$FILE" "$BASE/api/v1/lists/un?allow_shrink=true" &
    IMPORT=$!
    # Kill points spread over the import (upload, parse, store write, index, swap).
    delay_ms=$(( (round * 97) % ${KILL_MAX_MS:-900} + 20 ))
    # (printf, not a python3 call: starting an interpreter takes longer than a release
    # build's whole import)
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -9 "$PID"; wait "$PID" 2>/dev/null
    wait "$IMPORT" 2>/dev/null; wait "$LOAD" 2>/dev/null
    PID=""
    start
    after=$(active_un)
    screen=$(curl -s -H 'content-type: application/json' -d '{"name":"Yun Ho Jin"}' "$BASE/api/v1/screen" \
        | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["decision"], r["list_versions"].get("un"))')
    if "$BIN" --data "$DATA" audit verify >"$WORK/verify.txt" 2>&1; then audit="verified:$(awk '/records verified/{print $3}' "$WORK/verify.txt")"; else audit="BROKEN"; fi
    ver_after=${after%% *}
    ok=1
    case "$after" in none*) ok=0 ;; esac
    [ "${screen#* }" = "$ver_after" ] || ok=0
    [ "${screen%% *}" = "match" ] || ok=0
    [ "$audit" = "BROKEN" ] && ok=0
    printf '%2d %4d %s -> %s %s %s\n' "$round" "$delay_ms" "${before%% *}" "$ver_after" "${after#* }" "$audit"
    [ "$ok" = 1 ] || { echo "   FAILED: screen=[$screen]"; FAILED=$((FAILED + 1)); }
done
# Half-written versions left by the kills are temporary directories the store ignores.
echo "leftover temporary version dirs: $(find "$DATA/lists" -maxdepth 3 -name '.tmp-*' | wc -l) (ignored by the store)"
echo "$((ROUNDS - FAILED)) passed, $FAILED failed"
[ "$FAILED" = 0 ]
