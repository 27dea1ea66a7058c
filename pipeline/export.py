"""Export the tables and views to Parquet or CSV files, one per table, through DuckDB's COPY."""
from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.db import table_names

# Raw HTML stays in the database (and in Parquet, where it is compact); CSV gets everything else.
TABLES = ["facts", "latest_facts", "city_metrics", "articles", "mentions", "pages", "url_aliases",
          "crawl_runs", "crawl_failures", "sources"]


# A spreadsheet runs a cell that starts with one of these as a formula; a crawled page can put one there.
FORMULA_START = r"^[=+\-@\t\r]"
QUOTE = "'"


def csv_safe_columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The select list of a table for CSV: raw HTML left out, and text cells that a spreadsheet would run as a
    formula (=, +, -, @, tab or CR first: CSV injection) prefixed with a quote, as OWASP advises."""
    out = []
    for name, ctype, *_ in con.execute(f"DESCRIBE {table}").fetchall():
        if name == "html_z":
            continue
        col = '"' + name.replace('"', '""') + '"'
        if str(ctype).upper() == "VARCHAR":
            out.append(f"CASE WHEN regexp_matches({col}, '{FORMULA_START}') THEN '{QUOTE * 2}' || {col} "
                       f"ELSE {col} END AS {col}")
        else:
            out.append(col)
    return ", ".join(out)


def export(con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str) -> dict[str, int]:
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"--format: expected parquet or csv, got {fmt!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    present = table_names(con)
    for table in (t for t in TABLES if t in present):
        cols = csv_safe_columns(con, table) if fmt == "csv" else "*"
        target = out_dir / f"{table}.{fmt}"
        options = "(FORMAT parquet, COMPRESSION zstd)" if fmt == "parquet" else "(FORMAT csv, HEADER true)"
        con.execute(f"COPY (SELECT {cols} FROM {table}) TO '{target.as_posix()}' {options}")
        counts[table] = (con.execute(f"SELECT count(*) FROM {table}").fetchone() or (0,))[0]
    return counts
