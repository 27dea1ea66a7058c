"""Render query results for the terminal (rich tables) or for other programs (CSV, TSV, JSON, JSON lines).

One convention for every command that prints data, as sqlite-utils and the duckdb CLI have it.
"""
from __future__ import annotations

import base64
import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.formatting import fmt_number, short_number  # noqa: F401 (re-exported for the CLI)

FORMATS = ("table", "csv", "tsv", "json", "jsonl")
TABLE_CELL_WIDTH = 60  # table mode: cells wrap between words up to this width; a longer word is cut with an ellipsis


def _plain(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")  # blobs as base64, as the duckdb CLI's json mode
    return v


def emit(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, title: str | None = None,
         console: Console | None = None, headers: bool = True, limit: int | None = None) -> None:
    """Rows in one of FORMATS: json is one array, jsonl one object per line, csv/tsv with a header line unless
    headers is False; table shows at most `limit` rows and says how many more there are."""
    if fmt in ("json", "jsonl"):
        records = [{c: _plain(v) for c, v in zip(columns, r, strict=True)} for r in rows]
        write_records(records, fmt)
    elif fmt in ("csv", "tsv"):
        w = csv.writer(sys.stdout, delimiter="," if fmt == "csv" else "\t", lineterminator="\n")
        if headers:
            w.writerow(columns)
        for r in rows:
            w.writerow([_plain(v) for v in r])
    else:
        shown = rows if limit is None else rows[:limit]
        table = Table(title=Text(title) if title else None, show_lines=False, show_header=headers)
        cells = [[fmt_number(_plain(v)) for v in r] for r in shown]
        for i, c in enumerate(columns):
            # The first column names the row (a city, a source): it keeps its width; the others are cut first.
            widest = max((len(str(row[i])) for row in cells), default=0)
            # Cells wrap between words, never inside one (a word too long is cut with an ellipsis).
            table.add_column(Text(c), overflow="ellipsis", no_wrap=i == 0, max_width=TABLE_CELL_WIDTH,
                             min_width=min(max(widest, len(c)), 20) if i == 0 else None)
        for row in cells:
            table.add_row(*(Text(str(v)) for v in row))  # data is text, never markup
        con = console or Console(markup=False)
        con.print(table)
        if len(shown) < len(rows):
            Console(stderr=True).print(f"({len(rows) - len(shown):,} more rows not shown: raise --limit, or use "
                                       f"--format csv/jsonl for all {len(rows):,})")


def write_records(records: list[dict[str, Any]], fmt: str = "jsonl") -> None:
    """json: one array (an empty result is []); jsonl: one object per line."""
    if fmt == "json":
        sys.stdout.write(json.dumps(records, ensure_ascii=False, default=_plain) + "\n")
    else:
        for rec in records:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False, default=_plain) + "\n")
