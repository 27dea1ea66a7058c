"""Read-only access for analysts: queries cannot change the database or touch anything outside it.

Three locks, each enough alone for what it covers: DuckDB's read-only mode
(no writes to the file), disabled external access (no ATTACH, COPY TO,
INSTALL, reading other files), and a statement check that names what was
refused before DuckDB sees it.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipeline import lake
from pipeline.db import connect
from pipeline.queries import QueryError

ALLOWED = {"SELECT", "EXPLAIN", "PRAGMA"}


class QueryRefused(QueryError):
    pass


def check_query(query: str) -> None:
    try:
        statements = duckdb.connect().extract_statements(query)
    except duckdb.Error as exc:
        raise QueryRefused(f"query failed: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise QueryRefused("empty query")
    for st in statements:
        kind = st.type.name
        if kind == "EXPLAIN":
            _check_explained(st.query)
        if kind not in ALLOWED:
            kind = "INSTALL/LOAD" if kind == "LOAD" else kind
            raise QueryRefused(f"refused: {kind} statements are not allowed; the database is opened read-only for queries "
                               f"(only SELECT, EXPLAIN and PRAGMA)")


EXPLAINED = re.compile(r"^\s*EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\((?:[^()]|\([^()]*\))*\)\s*)?", re.I)


def _check_explained(query: str) -> None:
    """EXPLAIN ANALYZE runs what it wraps: that must be a query too (not COPY, CREATE, CHECKPOINT, PREPARE ...)."""
    m = EXPLAINED.match(query)
    inner = query[m.end():] if m else ""
    try:
        statements = duckdb.connect().extract_statements(inner) if inner.strip() else []
    except duckdb.Error as exc:
        raise QueryRefused(f"query failed: {str(exc).splitlines()[0]}") from None
    for st in statements:
        if st.type.name not in {"SELECT", "PRAGMA"}:
            raise QueryRefused(f"refused: EXPLAIN of a {st.type.name} statement; only queries can be explained")


DEFAULT_MEMORY_LIMIT = "4GB"  # an analyst's query, not the machine: DuckDB spills or fails past it


def open_read_only(db: str | Path, wait_s: float = 5.0, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    con = connect(db, read_only=True, wait_s=wait_s)
    if lake.is_lake(db):  # its Parquet files stay readable, nothing else
        con.execute("SET allowed_directories = [?]", [lake.data_path(con) or "/nonexistent/"])
    con.execute("SET enable_external_access = false")
    try:
        con.execute("SET memory_limit = ?", [memory_limit])
    except duckdb.Error as exc:
        con.close()
        raise QueryRefused(f"--memory-limit: {str(exc).splitlines()[0]}") from None
    con.execute("SET lock_configuration = true")
    return con


@contextmanager
def sandboxed(db: str | Path, wait_s: float = 5.0,
              memory_limit: str = DEFAULT_MEMORY_LIMIT) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection with external access off and a memory bound, closed after the block."""
    con = open_read_only(db, wait_s, memory_limit)
    try:
        yield con
    finally:
        con.close()
