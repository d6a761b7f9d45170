"""DuckDB peer for the trade benchmark (docs/bench-trade.md).

import: CSV -> Parquet with DuckDB's COPY (the same synthetic CSV embargo imports).
exposure: the same SQL as DataFusion (written by the Rust driver to DATA_DIR/exposure.sql;
exposure-layout: DATA_DIR/exposure-layout.sql, which also filters on the store's `dprk` column)
over the Parquet files embargo wrote, then compared with embargo's own result
(DATA_DIR/embargo-exposure.csv): every (year, measure) must have the same row count and the
same value (relative difference at most 1e-9, for summation order); otherwise it exits
non-zero. Prints `name value` lines like the Rust driver.
"""
import sys
import time

import duckdb

TOLERANCE = 1e-9


def main() -> None:
    cmd = sys.argv[1]
    con = duckdb.connect()
    if cmd == "import":
        csv_path, out = sys.argv[2], sys.argv[3]
        t = time.perf_counter()
        # Codes are text in both shapes (leading zeros); BACI's product column is `k`.
        types = (
            "{'k': 'VARCHAR'}"
            if "BACI_" in csv_path
            else "{'cmdCode': 'VARCHAR', 'period': 'VARCHAR'}"
        )
        con.execute(
            f"COPY (SELECT * FROM read_csv('{csv_path}', header=true, types={types})) "
            f"TO '{out}' (FORMAT parquet)"
        )
        s = time.perf_counter() - t
        n = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
        print(f"duckdb_import_rows {n}")
        print(f"duckdb_import_seconds {s:.2f}")
        print(f"duckdb_import_rows_per_second {n / s:.0f}")
    elif cmd in ("exposure", "exposure-layout"):
        data_dir = sys.argv[2]
        layout = cmd == "exposure-layout"
        name = "duckdb_sql_layout" if layout else "duckdb_sql"
        sql = open(f"{data_dir}/{'exposure-layout' if layout else 'exposure'}.sql").read()
        con.execute(
            f"CREATE VIEW trade AS SELECT * FROM read_parquet('{data_dir}/trade/*.parquet')"
        )
        t = time.perf_counter()
        rows = con.execute(sql).fetchall()
        print(f"{name}_seconds {time.perf_counter() - t:.2f}")
        print(f"duckdb_total_value {sum(r[2] for r in rows):.6e}")
        ours = {}
        with open(f"{data_dir}/embargo-exposure.csv") as f:
            next(f)
            for line in f:
                year, measure, value, n = line.rstrip("\n").split(",")
                ours[(int(year), measure)] = (float(value), int(n))
        theirs = {(int(r[0]), r[1]): (float(r[2]), int(r[3])) for r in rows}
        if set(ours) != set(theirs):
            sys.exit(
                f"DuckDB: groups differ from embargo's: only DuckDB {sorted(set(theirs) - set(ours))[:5]}, "
                f"only embargo {sorted(set(ours) - set(theirs))[:5]}"
            )
        max_rel = 0.0
        for key, (v, n) in ours.items():
            tv, tn = theirs[key]
            rel = abs(v - tv) / max(abs(v), 1.0)
            if tn != n or rel > TOLERANCE:
                sys.exit(f"DuckDB: {key}: {tv} USD in {tn} rows, embargo {v} USD in {n} rows")
            max_rel = max(max_rel, rel)
        print(f"duckdb_groups {len(rows)} (equal to embargo's)")
        print(f"duckdb_max_relative_difference {max_rel:.2e}")
    else:
        sys.exit("usage: duckdb_peer.py import CSV OUT.parquet | exposure DATA_DIR | exposure-layout DATA_DIR")


if __name__ == "__main__":
    main()
