"""Render query results for the terminal (rich tables) or for other programs (CSV, JSON lines)."""
from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from pipeline.formatting import fmt_number, short_number  # noqa: F401 (re-exported for the CLI)


def _plain(v: Any) -> Any:
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bytes):
        return f"<{len(v)} bytes>"
    return v


def emit(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, title: str | None = None,
         console: Console | None = None) -> None:
    if fmt == "json":
        for r in rows:
            sys.stdout.write(json.dumps({c: _plain(v) for c, v in zip(columns, r, strict=True)}, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        w = csv.writer(sys.stdout)
        w.writerow(columns)
        for r in rows:
            w.writerow([_plain(v) for v in r])
    else:
        table = Table(title=title, show_lines=False)
        for c in columns:
            table.add_column(c, overflow="fold")
        for r in rows:
            table.add_row(*(fmt_number(_plain(v)) for v in r))
        (console or Console()).print(table)

