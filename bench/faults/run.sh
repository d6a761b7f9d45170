#!/usr/bin/env bash
# Fault and bad-input suite: kill -9 during each kind of import, empty, truncated and
# oversized inputs of each format, hostile HTTP requests. Every case is classified:
#
#   clean error  refused with a message (CLI: exit 1 or 2, no panic; HTTP: 4xx/5xx with
#                a JSON error body), or, for a killed import, the store is whole (the old
#                state or the new one, never a mix) and the next command works
#   data loss    the state the store had before the case changed or became unreadable
#   panic        a panic message, exit status 101, or a server that stopped answering
#   other        anything else (bad input accepted, a hang, an error that is not JSON);
#                each such case is printed with what happened
#
# Usage: bench/faults/run.sh [--quick] [--bin PATH]
#   --quick   the part CI runs (a few kill points, smaller inputs; under two minutes)
#   --bin     the embargo binary (default: $CARGO_TARGET_DIR/debug/embargo, else target/debug)
# Needs: curl, python3. Reads $EMBARGO_SHARED (default ../shared) for the real lists;
# without them the list cases use the bundled test fixture.
# Exit status: 1 when any case is data loss or a panic (CI fails on those); "other" cases
# are printed for a person to judge (docs/faults.md says what each known one is).
set -uo pipefail
cd "$(dirname "$0")/../.."

quick=0
bin="${CARGO_TARGET_DIR:-target}/debug/embargo"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --bin) bin="$2"; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$bin" ] || { echo "no embargo binary at $bin (cargo build --workspace first)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
shared="${EMBARGO_SHARED:-../shared}"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
results="$work/results.tsv"
: > "$results"

record() { # group case outcome detail
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >> "$results"
}

emb() { "$bin" --data "$1" "${@:2}"; }

# --- inputs ------------------------------------------------------------------------
in="$work/in"
mkdir -p "$in"
if [ -f "$shared/data/un-sc-consolidated/consolidated.xml" ]; then
  un_xml="$shared/data/un-sc-consolidated/consolidated.xml"
  ofac_csv="$shared/data/ofac-sdn/sdn.csv"
else
  un_xml="crates/screen/tests/fixtures/small_un.xml"
  ofac_csv=""
fi
small_un="crates/screen/tests/fixtures/small_un.xml"
trade_csv="crates/cli/tests/fixtures/comtrade-exposure.csv"
ship_csv="crates/cli/tests/fixtures/shipments.csv"
own_csv="crates/network/tests/fixtures/ownership.csv"

# A Comtrade-shaped file big enough that an import takes a while (kill points land in it).
big_rows=$([ $quick = 1 ] && echo 200000 || echo 1000000)
python3 - "$in/big_trade.csv" "$big_rows" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
codes = ["270112", "260111", "720110", "030389", "610910", "850440", "252329", "440710"]
with open(path, "w") as f:
    f.write("typeCode,freqCode,refYear,refMonth,period,reporterISO,reporterDesc,flowCode,partnerISO,classificationCode,cmdCode,qtyUnitAbbr,qty,netWgt,primaryValue\n")
    for i in range(n):
        y = 2010 + i % 10
        f.write(f"C,M,{y},{1 + i % 12},{y}{1 + i % 12:02d},CHN,China,{'M' if i % 2 else 'X'},PRK,H4,{codes[i % len(codes)]},kg,{i},{i},{1000 + i}\n")
EOF
printf '{"data":[{"typeCode":"C","freqCode":"A","refYear":2016,"reporterISO":"CHN","flowCode":"M","partnerISO":"PRK","cmdCode":"270112","primaryValue":1000}]}' > "$in/trade.json"

# empty, truncated (half, and a few bytes), header only, one endless line, sparse huge
make_variants() { # name source ext
  local name="$1" src="$2" ext="$3" size
  size=$(wc -c < "$src")
  : > "$in/$name.empty.$ext"
  head -c $((size / 2)) "$src" > "$in/$name.half.$ext"
  head -c $((size * 9 / 10)) "$src" > "$in/$name.ninetenths.$ext"
  head -c 7 "$src" > "$in/$name.seven.$ext"
  head -n 1 "$src" > "$in/$name.header.$ext"
  { head -n 1 "$src"; head -c 3000000 /dev/zero | tr '\0' 'A'; } > "$in/$name.longline.$ext"
  truncate -s 3G "$in/$name.sparse.$ext"
}
make_variants un "$small_un" xml
[ -n "$ofac_csv" ] && make_variants ofac "$ofac_csv" csv
make_variants trade "$trade_csv" csv
make_variants tradejson "$in/trade.json" json
# Only valid rows, so that an error row in the output comes from the cut, not the fixture.
grep -v '^bad-' "$ship_csv" > "$in/ship_valid.csv"
make_variants ship "$in/ship_valid.csv" csv
make_variants own "$own_csv" csv
printf 'name\nKIM JONG UN\n' > "$in/screen.csv"
make_variants screen "$in/screen.csv" csv
# Quoted field never closed, across the rest of the file.
printf 'id,hs,origin,destination,date\na,2701,KP,CN,2017-09-15\n"b,2701,KP,CN,2017-09-15\nc,2701,KP,CN,2017-09-15\n' > "$in/ship.unclosed.csv"
printf 'name\n"KIM JONG UN\nPARK\n' > "$in/screen.unclosed.csv"

# --- the baseline store every CLI case starts from -----------------------------------
base="$work/base"
mkdir -p "$base"
emb "$base" lists import "$small_un" >/dev/null 2>&1 || { echo "baseline: lists import failed" >&2; exit 2; }
emb "$base" trade import "$trade_csv" >/dev/null 2>&1 || { echo "baseline: trade import failed" >&2; exit 2; }
emb "$base" network import "$own_csv" >/dev/null 2>&1 || { echo "baseline: network import failed" >&2; exit 2; }

# What must not change when a command fails: active lists, trade files, network imports.
fingerprint() { # dir
  {
    emb "$1" --json lists status 2>&1 | python3 -c 'import json,sys
try:
    d = json.load(sys.stdin)
    for s in (d if isinstance(d, list) else d.get("sources", d.get("lists", []))):
        print(s.get("source"), s.get("active"))
except Exception as e:
    print("unreadable", e)'
    (cd "$1" && find trade -name '*.parquet' -exec sha1sum {} + 2>&1 | sort)
    emb "$1" --json network status 2>&1 | python3 -c 'import json,sys
try:
    d = json.load(sys.stdin)
    print(d["edges_by_kind"], [b["file"] for b in d["batches"]], d["lists"])
except Exception as e:
    print("unreadable", e)'
  }
}
base_fp="$(fingerprint "$base")"

classify_cli() { # group case dir rc stderr-file
  local group="$1" case="$2" dir="$3" rc="$4" err="$5"
  if [ "$rc" = 101 ] || grep -q "panicked" "$err"; then
    record "$group" "$case" panic "$(head -c 300 "$err" | tr '\n\t' '  ')"
  elif [ "$rc" = 124 ]; then
    record "$group" "$case" other "timed out"
  elif [ "$rc" = 0 ] && [ "${accept_ok:-0}" = 1 ]; then
    # Valid input (a header with no rows is an empty batch): accepted, store as before
    # or grown by the input, never damaged.
    if [ -n "$dir" ] && ! fingerprint "$dir" | grep -q unreadable; then
      record "$group" "$case" clean
    else
      record "$group" "$case" "data loss" "store unreadable after the command"
    fi
  elif [ "$rc" = 0 ] && grep -Eq '(^|[^0-9])[1-9][0-9]* (skipped as errors|bad rows)' "$err"; then
    # Batch commands answer a bad row with an error row and count it: that is the
    # refusal, row by row.
    record "$group" "$case" clean
  elif [ "$rc" = 0 ] && grep -q "the last line has no line end" "$err"; then
    # CSV has no end marker: a file cut inside its last row still reads as rows, and the
    # command names the cut (the warning, and `last_line_without_end` in its JSON).
    record "$group" "$case" clean
  elif [ "$rc" = 0 ]; then
    record "$group" "$case" other "accepted (exit 0): $(head -c 200 "$work/out" | tr '\n\t' '  ')"
  elif [ -n "$dir" ] && [ "$(fingerprint "$dir")" != "$base_fp" ]; then
    record "$group" "$case" "data loss" "store changed after a refused input"
  elif [ -s "$err" ] && { [ "$rc" = 1 ] || [ "$rc" = 2 ]; }; then
    record "$group" "$case" clean
  else
    record "$group" "$case" other "exit $rc: $(head -c 200 "$err" | tr '\n\t' '  ')"
  fi
}

cli_case() { # group case -- args (run on a copy of the baseline)
  local group="$1" case="$2"; shift 3
  accept_ok=0
  case "$case" in header) accept_ok=1 ;; esac
  local d="$work/case"
  rm -rf "$d"; cp -a "$base" "$d"
  timeout 60 "$bin" --data "$d" "$@" > "$work/out" 2> "$work/err" < /dev/null
  classify_cli "$group" "$case" "$d" "$?" "$work/err"
}

# --- bad inputs of each format, through the CLI -------------------------------------
variants=$([ $quick = 1 ] && echo "empty half header longline sparse" || echo "empty half ninetenths seven header longline sparse")
for v in $variants; do
  cli_case "input: UN XML" "$v" -- lists import --source un "$in/un.$v.xml"
  [ -n "$ofac_csv" ] && cli_case "input: OFAC CSV" "$v" -- lists import --source ofac "$in/ofac.$v.csv"
  cli_case "input: trade CSV" "$v" -- trade import "$in/trade.$v.csv"
  cli_case "input: trade JSON" "$v" -- trade import "$in/tradejson.$v.json"
  cli_case "input: check batch CSV" "$v" -- check --batch "$in/ship.$v.csv" --out "$work/verdicts.csv"
  cli_case "input: screen batch" "$v" -- screen --batch "$in/screen.$v.csv" --out "$work/screened.jsonl"
  cli_case "input: ownership CSV" "$v" -- network import --kind ownership "$in/own.$v.csv"
done
cli_case "input: check batch CSV" unclosed-quote -- check --batch "$in/ship.unclosed.csv" --out "$work/verdicts.csv"
cli_case "input: screen batch" unclosed-quote -- screen --batch "$in/screen.unclosed.csv" --out "$work/screened.jsonl"
cli_case "input: UN XML" dev-zero -- lists import --source un /dev/zero
cli_case "input: trade CSV" dev-zero -- trade import /dev/zero
# The header-only and unclosed batch files are not errors for every command: a header
# with no rows is an empty batch. Those outcomes are judged below, not counted as "other".

# --- kill -9 during imports ----------------------------------------------------------
# After the kill, the store must be the old state or the new one and answer; temp files
# the killed process left are removed by the next command.
kill_points=$([ $quick = 1 ] && echo "0.2 0.8" || echo "0.05 0.1 0.2 0.4 0.8 1.5 3 6")
trade_before=$(emb "$base" trade sql "SELECT count(*) AS n FROM trade" --csv 2>/dev/null | tail -n 1)
for t in $kill_points; do
  d="$work/kill"; rm -rf "$d"; cp -a "$base" "$d"
  "$bin" --data "$d" trade import "$in/big_trade.csv" > /dev/null 2>&1 &
  pid=$!
  sleep "$t"; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  n=$(emb "$d" trade sql "SELECT count(*) AS n FROM trade" --csv 2> "$work/err" | tail -n 1)
  leftovers=$(find "$d" -name '*.tmp*' -o -name '.tmp*' | wc -l)
  if grep -q panicked "$work/err"; then record "kill -9: trade import" "at ${t}s" panic
  elif [ "$n" = "$trade_before" ] || [ "$n" = "$((trade_before + big_rows))" ]; then
    if [ "$leftovers" = 0 ]; then record "kill -9: trade import" "at ${t}s" clean
    else record "kill -9: trade import" "at ${t}s" other "$leftovers temp files left after the next command"; fi
  else record "kill -9: trade import" "at ${t}s" "data loss" "rows $n, expected $trade_before or $((trade_before + big_rows))"
  fi
done
list_points=$([ $quick = 1 ] && echo "0.05 0.3" || echo "0.01 0.03 0.05 0.1 0.2 0.3 0.5 1")
for src in un ofac; do
  file=$([ $src = un ] && echo "$un_xml" || echo "$ofac_csv")
  [ -n "$file" ] || continue
  for t in $list_points; do
    d="$work/kill"; rm -rf "$d"; cp -a "$base" "$d"
    "$bin" --data "$d" lists import --source "$src" --allow-shrink "$file" > /dev/null 2>&1 &
    pid=$!
    sleep "$t"; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    if ! emb "$d" --json screen "KIM JONG UN" > "$work/out" 2> "$work/err"; then
      if grep -q panicked "$work/err"; then record "kill -9: lists import ($src)" "at ${t}s" panic
      else record "kill -9: lists import ($src)" "at ${t}s" "data loss" "screening fails: $(head -c 200 "$work/err" | tr '\n' ' ')"; fi
      continue
    fi
    # Every active list must load whole: status lists it with its entity count.
    if emb "$d" --json lists status > "$work/out" 2> "$work/err" \
       && [ "$(emb "$d" --json network status 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["lists"]))' 2>/dev/null)" -ge 1 ]; then
      record "kill -9: lists import ($src)" "at ${t}s" clean
    else
      record "kill -9: lists import ($src)" "at ${t}s" "data loss" "status or network follow failed: $(head -c 200 "$work/err" | tr '\n' ' ')"
    fi
  done
done

# --- hostile HTTP ---------------------------------------------------------------------
sd="$work/server"; cp -a "$base" "$sd"
key=$(emb "$sd" --json serve keys create --label faults 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --data "$sd" serve --addr "127.0.0.1:$port" > "$work/server.log" 2>&1 &
server_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -s "$url/health" > /dev/null && break; sleep 0.1; done
lists_before=$(curl -s -H "x-api-key: $key" "$url/api/v1/lists" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lists"])')

http_case() { # case expected-status -- curl args
  local case="$1" expect="$2"; shift 3
  local code
  code=$(curl -s -o "$work/body" -w '%{http_code}' --max-time 60 "$@" 2> "$work/err")
  local rc=$?
  if ! kill -0 "$server_pid" 2>/dev/null; then
    record "HTTP" "$case" panic "server exited: $(tail -c 300 "$work/server.log" | tr '\n' ' ')"
    "$bin" --data "$sd" serve --addr "127.0.0.1:$port" >> "$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do curl -s "$url/health" > /dev/null && break; sleep 0.1; done
    return
  fi
  if grep -q "panicked" "$work/body" 2>/dev/null; then
    record "HTTP" "$case" panic "$(head -c 200 "$work/body")"
  elif [ "$rc" != 0 ] && { [ -z "$code" ] || [ "$code" = 000 ]; }; then
    record "HTTP" "$case" other "no answer read (curl exit $rc)"
  elif [ "$code" = 200 ] && [ "$expect" = 200 ]; then
    record "HTTP" "$case" clean
  elif [ "$code" = 200 ] && [ "$expect" = 200-cut ] && grep -q "the last line has no line end" "$work/body"; then
    # Accepted as rows, and the answer names the possible cut (CSV has no end marker).
    record "HTTP" "$case" clean
  elif [ "${code:0:1}" = 4 ] || [ "${code:0:1}" = 5 ]; then
    if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["error"]["code"] and d["error"]["status"] == int(sys.argv[2])' "$work/body" "$code" 2>/dev/null; then
      if grep -q "$sd" "$work/body"; then record "HTTP" "$case" other "$code names a server path"
      else record "HTTP" "$case" clean; fi
    else
      record "HTTP" "$case" other "$code without a JSON error: $(head -c 120 "$work/body" | tr '\n' ' ')"
    fi
  else
    record "HTTP" "$case" other "answered $code to a bad request"
  fi
}
J=(-H "content-type: application/json" -H "x-api-key: $key")
head -c 2000000 /dev/zero | tr '\0' ' ' > "$in/2mb.txt"
http_case "body over the JSON limit" 413 -- "${J[@]}" --data-binary @"$in/2mb.txt" "$url/api/v1/check"
if [ $quick = 0 ]; then
  head -c 70000000 /dev/zero > "$in/70mb.bin"
  http_case "upload over the upload limit" 413 -- -X PUT -H "x-api-key: $key" -H "content-type: application/xml" --data-binary @"$in/70mb.bin" "$url/api/v1/lists/un"
fi
http_case "URI 20 KB" 414 -- "$url/api/v1/regime/measures?kind=$(head -c 20000 /dev/zero | tr '\0' a)"
http_case "URI 70 KB" 414 -- "$url/api/v1/regime/measures?kind=$(head -c 70000 /dev/zero | tr '\0' a)"
http_case "header 100 KB" 431 -- -H "x-big: $(head -c 100000 /dev/zero | tr '\0' b)" "$url/health"
hdrs=(); for i in $(seq 1 150); do hdrs+=(-H "x-h$i: v"); done
http_case "150 headers" 431 -- "${hdrs[@]}" "$url/health"
http_case "JSON: truncated" 400 -- "${J[@]}" --data '{"hs":"2701","origin":' "$url/api/v1/check"
http_case "JSON: not an object" 422 -- "${J[@]}" --data '[1,2,3]' "$url/api/v1/check"
http_case "JSON: wrong types" 422 -- "${J[@]}" --data '{"hs":2701,"origin":["KP"],"destination":null,"date":17}' "$url/api/v1/check"
http_case "JSON: unknown field" 422 -- "${J[@]}" --data '{"hs":"2701","origin":"KP","destination":"CN","date":"2017-09-15","x":1}' "$url/api/v1/check"
http_case "JSON: nested 100k deep" 400 -- "${J[@]}" --data "$(head -c 100000 /dev/zero | tr '\0' '[')" "$url/api/v1/check"
printf '{"name":"\xff\xfe"}' > "$in/badutf8.json"
http_case "JSON: invalid UTF-8" 400 -- "${J[@]}" --data-binary @"$in/badutf8.json" "$url/api/v1/screen"
http_case "JSON: empty body" 400 -- "${J[@]}" -X POST "$url/api/v1/check"
http_case "no content-type" 415 -- -H "x-api-key: $key" --data '{}' "$url/api/v1/check"
python3 -c 'print("{\"name\":\"" + " ".join(["KIM"] * 120000) + "\"}")' > "$in/words.json"
http_case "screen: 120,000 words" 422 -- "${J[@]}" --data-binary @"$in/words.json" "$url/api/v1/screen"
python3 -c 'import json; print(json.dumps({"items":[{"name":"KIM JONG UN"}]*5000}))' > "$in/batch5000.json"
http_case "screen batch over max_batch" 413 -- "${J[@]}" --data-binary @"$in/batch5000.json" "$url/api/v1/screen/batch"
http_case "key: wrong" 401 -- -H "x-api-key: nope" "$url/api/v1/regime/resolutions"
http_case "key: empty" 401 -- -H "x-api-key;" "$url/api/v1/regime/resolutions"
http_case "key: 10 KB" 401 -- -H "x-api-key: $(head -c 10000 /dev/zero | tr '\0' k)" "$url/api/v1/regime/resolutions"
http_case "key: bearer without token" 401 -- -H "authorization: Bearer" "$url/api/v1/regime/resolutions"
http_case "key: basic auth" 401 -- -u a:b "$url/api/v1/regime/resolutions"
http_case "key: none on a write" 401 -- -X PUT --data-binary @"$small_un" "$url/api/v1/lists/un"
http_case "unknown route" 404 -- "$url/api/v1/nothing"
http_case "wrong method" 405 -- -X DELETE "$url/api/v1/check"
for v in empty half seven sparse; do
  [ "$v" = sparse ] && [ $quick = 1 ] && continue
  # -T streams the file (--data-binary would load 3 GB into curl's memory first).
  http_case "PUT UN list: $v" 422 -- -X PUT -H "x-api-key: $key" -H "content-type: application/xml" -T "$in/un.$v.xml" "$url/api/v1/lists/un"
done
[ -n "$ofac_csv" ] && for v in empty half ninetenths; do
  http_case "PUT OFAC list: $v" 422 -- -X PUT -H "x-api-key: $key" -H "content-type: text/csv" --data-binary @"$in/ofac.$v.csv" "$url/api/v1/lists/ofac"
done
for v in empty half longline; do
  expect=422
  [ "$v" = half ] && expect=200-cut
  http_case "ownership upload: $v" "$expect" -- -H "x-api-key: $key" -H "content-type: text/csv" --data-binary @"$in/own.$v.csv" "$url/api/v1/network/ownership?name=faults-$v"
done
curl -s -o /dev/null -H "x-api-key: $key" -H "content-type: text/csv" --data-binary @"$own_csv" "$url/api/v1/network/ownership?name=dup"
http_case "ownership upload: name in use" 409 -- -H "x-api-key: $key" -H "content-type: text/csv" --data-binary @"$own_csv" "$url/api/v1/network/ownership?name=dup"
http_case "check batch: bad rows" 200 -- "${J[@]}" --data '{"items":[{"hs":"x"}]}' "$url/api/v1/check/batch"
lists_after=$(curl -s -H "x-api-key: $key" "$url/api/v1/lists" | python3 -c 'import json,sys; print(json.load(sys.stdin)["lists"])')
if [ "$lists_before" != "$lists_after" ]; then
  record "HTTP" "active lists unchanged after the refused uploads" "data loss" "$lists_before -> $lists_after"
fi
if ! curl -s -f "$url/health" > /dev/null; then
  record "HTTP" "server alive at the end" panic "no answer to /health"
fi
kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=""

# --- the table ------------------------------------------------------------------------
python3 - "$results" <<'EOF'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
groups = collections.OrderedDict()
for g, case, outcome, detail in rows:
    groups.setdefault(g, collections.Counter())[outcome] += 1
cols = ["clean", "data loss", "panic", "other"]
print(f"{'group':32} {'tried':>6} {'clean error':>12} {'data loss':>10} {'panic':>6} {'other':>6}")
total = collections.Counter()
for g, c in groups.items():
    n = sum(c.values())
    total.update(c)
    print(f"{g:32} {n:>6} {c['clean']:>12} {c['data loss']:>10} {c['panic']:>6} {c['other']:>6}")
n = sum(total.values())
print(f"{'total':32} {n:>6} {total['clean']:>12} {total['data loss']:>10} {total['panic']:>6} {total['other']:>6}")
for g, case, outcome, detail in rows:
    if outcome != "clean":
        print(f"  {outcome}: {g} / {case}: {detail}")
sys.exit(1 if total["data loss"] or total["panic"] else 0)
EOF
