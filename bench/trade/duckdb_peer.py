"""DuckDB peer for the trade benchmark (docs/bench-trade.md).

import: CSV -> Parquet with DuckDB's COPY (the same synthetic CSV embargo imports).
exposure: the same SQL as DataFusion (written by the Rust driver to DATA_DIR/exposure.sql)
over the Parquet files embargo wrote. Prints `name seconds` lines like the Rust driver.
"""
import sys
import time

import duckdb


def main() -> None:
    cmd = sys.argv[1]
    con = duckdb.connect()
    if cmd == "import":
        csv_path, out = sys.argv[2], sys.argv[3]
        t = time.perf_counter()
        con.execute(
            f"COPY (SELECT * FROM read_csv('{csv_path}', header=true, "
            "types={'cmdCode': 'VARCHAR', 'period': 'VARCHAR'})) "
            f"TO '{out}' (FORMAT parquet)"
        )
        s = time.perf_counter() - t
        n = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]
        print(f"duckdb_import_rows {n}")
        print(f"duckdb_import_seconds {s:.2f}")
        print(f"duckdb_import_rows_per_second {n / s:.0f}")
    elif cmd == "exposure":
        data_dir = sys.argv[2]
        sql = open(f"{data_dir}/exposure.sql").read()
        con.execute(
            f"CREATE VIEW trade AS SELECT * FROM read_parquet('{data_dir}/trade/*.parquet')"
        )
        t = time.perf_counter()
        rows = con.execute(sql).fetchall()
        print(f"duckdb_sql_seconds {time.perf_counter() - t:.2f}")
        print(f"duckdb_groups {len(rows)}")
        print(f"duckdb_total_value {sum(r[2] for r in rows):.6e}")
    else:
        sys.exit("usage: duckdb_peer.py import CSV OUT.parquet | exposure DATA_DIR")


if __name__ == "__main__":
    main()
