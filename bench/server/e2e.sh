#!/usr/bin/env bash
# End-to-end test of the web page in Debian's headless Chromium.
#
# Starts `embargo serve` on a free loopback port with a temporary data directory, imports
# the UN 1718 list from ../shared and examples/ownership.csv through the API (with an API
# key), then loads each view of the page: regime, check (a ban and a verdict resting on an
# unconfirmed paragraph), screening (a Latin name, a Hangul name, an IMO number alone),
# relief, network, vessel (after an OFAC import through the API), report and batch uploads
# (a CSV of shipments and one of names, pasted through the deep link). For each it dumps the DOM after the page's scripts ran
# (--dump-dom, with a virtual time budget so the fetches finish), asserts on what a user
# needs to see, and takes a screenshot into $OUT (default target/e2e): look at them.
# Finally it verifies the audit log the screening left.
#
# Skips (exit 0, with a notice) when chromium is absent. Needs: chromium, curl.
# Usage: bench/server/e2e.sh            (builds target/debug/embargo if EMBARGO_BIN is unset)
set -u
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    echo "notice: skipping the web end-to-end test: $CHROMIUM not found (apt-get install chromium)"
    exit 0
fi
if ! command -v curl >/dev/null; then
    echo "notice: skipping the web end-to-end test: curl not found (apt-get install curl)"
    exit 0
fi

BIN=${EMBARGO_BIN:-}
if [ -z "$BIN" ]; then
    cargo build -q -p embargo-cli || { echo "e2e: build failed"; exit 1; }
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/embargo"
fi
OUT=${OUT:-$ROOT/target/e2e}
mkdir -p "$OUT"
WORK=$(mktemp -d)
DATA="$WORK/data"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

PASSED=0
FAILED=0
pass() { echo "ok   - $1"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL - $1"; FAILED=$((FAILED + 1)); }

# A free port on loopback.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

"$BIN" --data "$DATA" serve --addr "127.0.0.1:$PORT" --log-format json 2>"$WORK/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fs "$BASE/health" >/dev/null 2>&1 && break
    sleep 0.1
done
if ! curl -fs "$BASE/health" >/dev/null; then
    echo "e2e: the server did not start"; cat "$WORK/server.log"; exit 1
fi

KEY=$("$BIN" --data "$DATA" --json serve keys create --label e2e | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# The Hangul font the page needs on a machine without a Korean font comes from this server.
font_type=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$BASE/assets/embargo-hangul.woff2")
if [ "$font_type" = "200 font/woff2" ]; then pass "Hangul font served"; else fail "Hangul font: $font_type"; fi

SHARED=${EMBARGO_SHARED:-$ROOT/../shared}
UN_XML="$SHARED/data/un-sc-consolidated/consolidated_dprk.xml"
HAVE_LIST=0
if [ -f "$UN_XML" ]; then
    code=$(curl -s -o "$WORK/import.json" -w '%{http_code}' -X PUT -H "x-api-key: $KEY" \
        -H 'content-type: application/xml' --data-binary "@$UN_XML" "$BASE/api/v1/lists/un")
    if [ "$code" = 200 ]; then pass "UN list imported through the API"; HAVE_LIST=1; else fail "UN list import: HTTP $code $(cat "$WORK/import.json")"; fi
elif [ -n "${EMBARGO_SHARED:-}" ]; then
    fail "EMBARGO_SHARED is set but $UN_XML is missing"
else
    echo "notice: ../shared absent: the screening view is not tested"
fi

# Render a view: DOM dump (after scripts) and a screenshot.
render() {
    local name=$1 url=$2 height=$3
    local profile
    profile=$(mktemp -d "$WORK/profile.XXXX")
    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --virtual-time-budget=10000 --window-size=1280,"$height" \
        --dump-dom "$url" >"$OUT/$name.html" 2>"$WORK/$name.chromium.log"
    profile=$(mktemp -d "$WORK/profile.XXXX")
    timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --virtual-time-budget=10000 --window-size=1280,"$height" \
        --screenshot="$OUT/$name.png" "$url" >>"$WORK/$name.chromium.log" 2>&1
}

# The DOM contains every given fixed string.
expect() {
    local name=$1 what=$2; shift 2
    local missing=""
    for needle in "$@"; do
        grep -qF -- "$needle" "$OUT/$name.html" || missing="$missing [$needle]"
    done
    # Optional parts left as placeholders would show as the text "null" or "undefined".
    grep -qE '>(null|undefined)<|nullnull|\(undefined' "$OUT/$name.html" && missing="$missing (placeholder text null/undefined rendered)"
    if [ -z "$missing" ]; then pass "$what"; else fail "$what: missing$missing in $OUT/$name.html"; fi
}

# A screenshot exists and is a PNG of the requested width.
expect_png() {
    local name=$1
    if python3 - "$OUT/$name.png" <<'PY'
import struct, sys
with open(sys.argv[1], "rb") as f:
    head = f.read(24)
ok = head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", head[16:20])[0] == 1280
sys.exit(0 if ok else 1)
PY
    then pass "$name screenshot written ($OUT/$name.png)"; else fail "$name screenshot missing or not 1280 px wide"; fi
}

render regime "$BASE/#regime" 1800
expect regime "regime view: timeline drawn and measures as of 2017-09-15 listed" \
    'data-measure="2371-8-coal-iron"' 'measures in force on 2017-09-15' 'Full ban on coal, iron and iron ore' \
    'title="Coal; briquettes, ovoids and similar solid fuels manufactured from coal (HS 2022)"' 'class="bar-label"'
expect_png regime

render check "$BASE/#check?hs=2701&origin=KP&destination=CN&date=2017-09-15" 1100
expect check "check view: coal KP->CN on 2017-09-15 is prohibited citing 2371 OP8" \
    'id="verdict"' 'PROHIBITED' '<td>2371</td><td>OP8</td>' 'Coal; briquettes, ovoids and similar solid fuels manufactured from coal'
expect_png check
expect check "page header: an API key box" 'id="api-key"'

render check-unconfirmed "$BASE/#check?hs=8471&origin=CN&destination=KP&date=2018-06-01" 1100
expect check-unconfirmed "check view: computers to the DPRK in 2018 are prohibited, resting on unconfirmed 2397 OP7, and the page says so" \
    'PROHIBITED' 'id="doubt"' 'unconfirmed' '<td>2397</td><td>OP7</td>' 'Automatic data processing machines'
expect_png check-unconfirmed

render relief "$BASE/#relief?proposal=china-russia-2019&baseline=2016" 1300
expect relief "relief view: the China-Russia draft restores goods and workers' earnings, with sources" \
    'id="relief-total"' 'baseline 2016' '2375 OP16 textiles' '2371 OP9 seafood' 'Workers abroad' 'TASS 2019-12-17'
expect_png relief

code=$(curl -s -o "$WORK/ownership.json" -w '%{http_code}' -X POST -H "x-api-key: $KEY" \
    -H 'content-type: text/csv' --data-binary "@$ROOT/examples/ownership.csv" "$BASE/api/v1/network/ownership?name=examples")
if [ "$code" = 200 ]; then pass "examples/ownership.csv uploaded through the API"; else fail "ownership upload: HTTP $code $(cat "$WORK/ownership.json")"; fi
if [ "$HAVE_LIST" = 1 ]; then
    render network "$BASE/#network?entity=Liaoning%20Sample%20Logistics%20Co.%20Ltd" 1100
    expect network "network view: the sample company is blocked through KPe.001 (60% of a 50% owner)" \
        'id="network-status"' 'BLOCKED (50% RULE)' 'Dandong Sample Mining Trading Co. Ltd' 'KOREA MINING DEVELOPMENT TRADING CORPORATION —60%→'
    expect_png network
fi

# Vessels come from OFAC's list (the UN list names no ships).
SDN="$SHARED/data/ofac-sdn/2021-07-snapshot/sdn.csv"
if [ -f "$SDN" ]; then
    code=$(curl -s -o "$WORK/ofac.json" -w '%{http_code}' -X PUT -H "x-api-key: $KEY" \
        -H 'content-type: text/csv' --data-binary "@$SDN" "$BASE/api/v1/lists/ofac")
    if [ "$code" = 200 ]; then pass "OFAC list imported through the API"; else fail "OFAC list import: HTTP $code $(cat "$WORK/ofac.json")"; fi
    render vessel "$BASE/#vessel?imo=8660313" 1300
    expect vessel "vessel view: IMO 8660313 (CHON MA SAN) is designated by OFAC, linked to KOREA ACHIM SHIPPING CO" \
        'id="vessel-status"' 'DESIGNATED' 'CHON MA SAN' 'OFAC 23729' 'KOREA ACHIM SHIPPING CO'
    expect_png vessel
    render vessel-unknown "$BASE/#vessel?imo=1234567" 900
    expect vessel-unknown "vessel view: an IMO no list knows is said to be unknown (404), not shown as clean" \
        'vessel_not_found' 'IMO 1234567'
fi

render report "$BASE/#report" 2600
expect report "report view: charts (a)-(e) rendered from the server's SVG, lags table filled" \
    'id="chart-a"' 'id="chart-b"' 'id="chart-c"' 'id="chart-d"' 'id="chart-e"' '<svg' '2371' 'Mean, Bush: published set (1695, 1718)' 'Mean, Obama: all resolutions with a trigger'
expect_png report

if [ "$HAVE_LIST" = 1 ]; then
    render screen "$BASE/#screen?name=Yun%20Ho%20Jin&schema=person" 1300
    expect screen "screening view: Yun Ho Jin matches KPi.001 with an explanation and an audit record" \
        'id="decision"' 'MATCH' 'KPi.001' 'Matched name' 'audit record #'
    expect_png screen
    render screen-hangul "$BASE/#screen?name=%EC%A1%B0%EC%84%A0%EA%B4%91%EC%84%A0%EC%9D%80%ED%96%89&schema=organization" 1300
    expect screen-hangul "screening view: 조선광선은행 (Hangul) finds KOREA KWANGSON BANKING CORPORATION, with word pairs" \
        'MATCH' 'KPe.025' 'KWANGSON ~ KWANGSON' 'Query: 조선광선은행'
    expect_png screen-hangul
    render screen-imo "$BASE/#screen?imo=1790183" 1100
    expect screen-imo "screening view: IMO 1790183 alone finds Ocean Maritime Management (KPe.020)" \
        'MATCH' 'KPe.020' 'OCEAN MARITIME MANAGEMENT'
    expect_png screen-imo
    if "$BIN" --data "$DATA" audit verify >"$WORK/verify.txt" 2>&1; then
        pass "audit log verifies after the page's screening ($(grep -m1 records "$WORK/verify.txt"))"
    else
        fail "audit verify: $(cat "$WORK/verify.txt")"
    fi
fi

# Batch uploads: a CSV pasted through the deep link (the file picker takes the same text).
urlq() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.stdin.read(), safe=""))'; }
CHECK_CSV=$(printf 'id,hs,origin,destination,date,via,quantity,unit,value_usd\ncoal-after-2371,2701,KP,CN,2017-09-15,,,,\ncomputers-2018,8471,CN,KP,2018-06-01,,,,\nrugs-cheap,5701,CN,KP,2017-06-01,,,,900\nbad-hs,27x1,KP,CN,2017-09-15,,,,\n' | urlq)
render batch-check "$BASE/#batch?kind=check&csv=$CHECK_CSV" 1100
expect batch-check "batch view: four shipments checked, verdicts with confidence and citations, the bad row named, a CSV to download" \
    'id="batch-table"' 'id="batch-download"' 'href="blob:' 'download check-results.csv' 'coal-after-2371' '2371 OP8' \
    'verdict-prohibited' 'class="conf conf-' 'only unconfirmed measures behind this verdict' 'bad-hs' 'hs: HS code'
expect_png batch-check
if [ "$HAVE_LIST" = 1 ]; then
    SCREEN_CSV=$(printf 'id,name,schema,dob\nc1,Yun Ho Jin,person,1944-10-13\nc2,KOREA KWANGSON BANKING CORPORATION,organization,\nc3,Margaret Thornbury-Welles,person,1971\nc4,,person,\n' | urlq)
    render batch-screen "$BASE/#batch?kind=screen&csv=$SCREEN_CSV" 1100
    expect batch-screen "batch view: names screened, decisions with the top hit, its score and measures, audit records, a CSV to download" \
        'id="batch-table"' 'download screen-results.csv' 'UN KPi.001, ' 'UN KPe.025, ' '1718 OP8(d)' \
        'decision-match' 'decision-no_match' 'empty name: nothing to screen'
    expect_png batch-screen
fi

echo "e2e: screenshots and DOM dumps in $OUT"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
