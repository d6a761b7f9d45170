#!/usr/bin/env bash
# Batch-check throughput: `embargo check --batch` against DuckDB doing the same
# classification as a SQL join, on the same generated file, in the same run.
#
# usage: bench/check/run.sh [ROWS]   (default 10,000,000)
#
# The peer: DuckDB (pip, in a venv under target/bench-venv) reads the same CSV, joins each
# row to the regime's HS-scoped goods measures (exported by `embargo regime show --json`) by
# direction, HS prefix and date, and writes one verdict row per shipment. It is a simpler
# classification than embargo's (bans only: no exceptions, caps, wind-downs or partial
# codes), so the ratio flatters the peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS="${1:-10000000}"
WORK="${BENCH_DIR:-target/bench-check}"
mkdir -p "$WORK"

# EMBARGO_BIN: use an already built binary (the full release build includes DataFusion).
if [ -n "${EMBARGO_BIN:-}" ]; then
  EMBARGO="$EMBARGO_BIN"
else
  cargo build --release -q -p embargo-cli
  EMBARGO="${CARGO_TARGET_DIR:-target}/release/embargo"
fi

if [ ! -f "$WORK/ships-$ROWS.csv" ]; then
  echo "generating $ROWS synthetic rows"
  python3 bench/check/generate.py "$ROWS" "$WORK/ships-$ROWS.csv"
fi
SHIPS="$WORK/ships-$ROWS.csv"

VENV=target/bench-venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -c "import duckdb" 2>/dev/null || "$VENV/bin/pip" install -q duckdb

# Export the HS-scoped measures as rows (direction, prefix or chapter range, dates).
"$EMBARGO" regime show --json > "$WORK/regime.json"
python3 - "$WORK/regime.json" "$WORK/scopes.csv" <<'PY'
import json, sys
ms = json.load(open(sys.argv[1]))["measures"]
with open(sys.argv[2], "w") as f:
    f.write("id,direction,lo,hi,digits,valid_from,valid_until\n")
    for m in ms:
        if m["kind"] != "goods_ban":
            continue
        for d in m["directions"]:
            for h in m["hs"]:
                spec = h["spec"]
                if spec["type"] == "code":
                    c = spec["code"]; lo = hi = c
                else:
                    lo, hi = f'{spec["from"]:02d}', f'{spec["to"]:02d}'
                f.write(f'{m["id"]},{d},{lo},{hi},{len(lo)},{m["effective_from"]},{m["effective_until"] or "9999-12-31"}\n')
PY

echo "== embargo check --batch ($ROWS rows)"
/usr/bin/time -f "embargo: %e s wall, %U s user, %M KB max RSS" \
  "$EMBARGO" check --batch "$SHIPS" --out "$WORK/embargo-out.csv" 2> "$WORK/embargo.log" || { cat "$WORK/embargo.log"; exit 1; }
tail -2 "$WORK/embargo.log"

echo "== duckdb peer ($ROWS rows)"
/usr/bin/time -f "duckdb: %e s wall, %U s user, %M KB max RSS" "$VENV/bin/python" - "$SHIPS" "$WORK/scopes.csv" "$WORK/duckdb-out.csv" <<'PY'
import sys, duckdb
ships, scopes, out = sys.argv[1:4]
con = duckdb.connect()
con.execute(f"CREATE TABLE scopes AS SELECT * FROM read_csv('{scopes}', header=true, all_varchar=true)")
con.execute(f"""
COPY (
  SELECT s.id, s.hs, s.origin, s.destination, s.date,
         CASE WHEN count(m.id) > 0 THEN 'prohibited' ELSE 'permitted' END AS verdict,
         string_agg(m.id, '; ') AS citations
  FROM read_csv('{ships}', header=true, all_varchar=true) s
  LEFT JOIN scopes m
    ON ((s.origin = 'KP' AND m.direction = 'from_dprk') OR (s.destination = 'KP' AND m.direction = 'to_dprk'))
   AND substr(s.hs, 1, CAST(m.digits AS INTEGER)) BETWEEN m.lo AND m.hi
   AND length(s.hs) >= CAST(m.digits AS INTEGER)
   AND s.date BETWEEN m.valid_from AND m.valid_until
  GROUP BY ALL
) TO '{out}' (HEADER)
""")
PY
echo "rows out: embargo $(($(wc -l < "$WORK/embargo-out.csv") - 1)), duckdb $(($(wc -l < "$WORK/duckdb-out.csv") - 1))"
