"""Export the tables and views to Parquet or CSV files, one per table, through DuckDB's COPY."""
from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.db import table_names

# Raw HTML stays in the database (and in Parquet, where it is compact); CSV gets everything else.
TABLES = ["facts", "latest_facts", "city_metrics", "articles", "mentions", "pages", "url_aliases",
          "crawl_runs", "crawl_failures", "sources"]


def export(con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str) -> dict[str, int]:
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"--format: expected parquet or csv, got {fmt!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    present = table_names(con)
    for table in (t for t in TABLES if t in present):
        cols = "* EXCLUDE (html_z)" if table == "pages" and fmt == "csv" else "*"
        target = out_dir / f"{table}.{fmt}"
        options = "(FORMAT parquet, COMPRESSION zstd)" if fmt == "parquet" else "(FORMAT csv, HEADER true)"
        con.execute(f"COPY (SELECT {cols} FROM {table}) TO '{target.as_posix()}' {options}")
        counts[table] = (con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,))[0]
    return counts
