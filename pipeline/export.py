"""Export the tables and views to Parquet or CSV files, one per table, written by Arrow from a read-only query.

No path goes into SQL (a quote in --out cannot end the string, and the
connection needs no file access: the CLI gives it the analyst's sandbox),
and tables stream in record batches, so memory stays flat.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipeline.db import DatabaseError, table_names

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
        if str(ctype).upper().endswith("[]"):  # lists as DuckDB writes them ([a, b]); Arrow's CSV has no lists
            out.append(f"CAST({col} AS VARCHAR) AS {col}")
        elif str(ctype).upper() == "VARCHAR":
            out.append(f"CASE WHEN regexp_matches({col}, '{FORMULA_START}') THEN '{QUOTE * 2}' || {col} "
                       f"ELSE {col} END AS {col}")
        else:
            out.append(col)
    return ", ".join(out)


def export(con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str, batch_rows: int = 50_000) -> dict[str, int]:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if fmt not in ("parquet", "csv"):
        raise ValueError(f"--format: expected parquet or csv, got {fmt!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    present = table_names(con)
    for table in (t for t in TABLES if t in present):
        try:
            cols = csv_safe_columns(con, table) if fmt == "csv" else "*"
            reader = con.execute(f"SELECT {cols} FROM {table}").to_arrow_reader(batch_rows)
        except duckdb.Error as exc:  # a view that reads a file, say: refused by the sandbox
            raise DatabaseError(f"{table}: cannot export: {str(exc).splitlines()[0]}") from None
        target = out_dir / f"{table}.{fmt}"
        n = 0
        writer: Any = (pq.ParquetWriter(target, reader.schema, compression="zstd") if fmt == "parquet"
                       else pacsv.CSVWriter(target, reader.schema))
        with writer:
            for batch in reader:
                writer.write_batch(batch)
                n += batch.num_rows
        counts[table] = n
    return counts
