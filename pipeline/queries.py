"""What the flow and the read commands ask of the database, as functions over a connection."""
from __future__ import annotations

import threading
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from nlp.records import EXTRACTOR_VERSION
from pipeline.db import DatabaseError, registered


class QueryError(DatabaseError):
    """An analyst's query that DuckDB refused or could not run; str() is DuckDB's first line."""


def stored_hashes(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> dict[str, str]:
    wanted = list(set(urls))
    if not wanted:
        return {}
    with registered(con, wanted_urls=pa.table({"url": wanted})):
        rows = con.execute("SELECT p.url, p.content_hash FROM pages p JOIN wanted_urls w USING (url)").fetchall()
    return dict(rows)


def seen_page_urls(con: duckdb.DuckDBPyConnection, refetch_days: float | None = None) -> set[str]:
    """Canonical URLs already fetched (and links that redirected to them): the crawler does not fetch them again,
    unless they were fetched more than `refetch_days` ago."""
    if refetch_days is None:
        rows = con.execute("SELECT url FROM pages UNION SELECT alias FROM url_aliases").fetchall()
    else:
        rows = con.execute("""SELECT url FROM pages WHERE fetched_at > now() - to_microseconds(CAST(? * 86400e6 AS BIGINT))
                              UNION SELECT a.alias FROM url_aliases a JOIN pages p ON p.url = a.url
                              WHERE p.fetched_at > now() - to_microseconds(CAST(? * 86400e6 AS BIGINT))""",
                           [refetch_days, refetch_days]).fetchall()
    return {r[0] for r in rows}


@dataclass
class StoredPage:
    url: str
    source: str
    content_type: str
    content_hash: str
    body: bytes


def pages_to_extract(con: duckdb.DuckDBPyConnection, everything: bool = False, sources: list[str] | None = None,
                     run_id: str | None = None, not_runs_like: str | None = None) -> list[str]:
    """URLs of stored pages that need (re-)extraction: not judged yet, changed, or extracted by another version.
    With run_id, only the pages that run stored; with not_runs_like, only pages no run named like it stored
    (a distributed run's shards each extract their own pages, and one of them what earlier runs left)."""
    where = "p.relevant IS DISTINCT FROM false" if everything else (
        "p.relevant IS NULL OR (p.relevant AND (a.id IS NULL OR a.content_hash <> p.content_hash "
        "OR a.extractor_version <> ?))")
    params: list[Any] = [] if everything else [EXTRACTOR_VERSION]
    sql = f"SELECT p.url FROM pages p LEFT JOIN articles a ON a.url = p.url WHERE ({where})"
    if sources:
        sql += " AND p.source IN (SELECT unnest(?))"
        params.append(sources)
    if run_id:
        sql += " AND p.run_id = ?"
        params.append(run_id)
    if not_runs_like:
        sql += " AND (p.run_id IS NULL OR p.run_id NOT LIKE ?)"
        params.append(not_runs_like)
    return [r[0] for r in con.execute(sql + " ORDER BY p.url", params).fetchall()]


def read_pages(con: duckdb.DuckDBPyConnection, urls: list[str]) -> list[StoredPage]:
    with registered(con, wanted_urls=pa.table({"url": urls})):
        rows = con.execute("""SELECT p.url, p.source, p.content_type, p.content_hash, p.html_z
                              FROM pages p JOIN wanted_urls USING (url) ORDER BY p.url""").fetchall()
    return [StoredPage(u, s, ct or "", h, zlib.decompress(z)) for u, s, ct, h, z in rows]


def source_stats(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, Any]]:
    """source -> (pages stored, last fetched)."""
    rows = con.execute("SELECT source, count(*), max(fetched_at) FROM pages GROUP BY source").fetchall()
    return {name: (pages, last) for name, pages, last in rows}


def schema_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """table or view -> [(column, type)], tables first, as the database has them."""
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_type, table_name").fetchall()]
    return {t: [(c, typ) for c, typ in con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [t]).fetchall()] for t in tables}


def split_statements(sql: str) -> list[str]:
    """The statements of a script, each as its own text, by DuckDB's own parser (semicolons in strings stay)."""
    return [st.query for st in duckdb.connect().extract_statements(sql)]


def run_query(con: duckdb.DuckDBPyConnection, query: str,
              timeout_s: float | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """(columns, rows) of an analyst's query on a read-only connection; refusals and errors as QueryError.
    A query still running after timeout_s is interrupted (DuckDB's own interrupt, from a timer thread)."""
    timer = threading.Timer(timeout_s, con.interrupt) if timeout_s else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        cur = con.execute(query)
        columns = [d[0] for d in cur.description] if cur.description else []
        return columns, (cur.fetchall() if columns else [])
    except duckdb.InterruptException:
        raise QueryError(f"query stopped after {timeout_s:g} s (raise --timeout to let it run longer)") from None
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        if any(s in msg for s in ("read-only", "read only", "external access", "lock_configuration")):
            raise QueryError(f"refused: the database is opened read-only for queries ({msg})") from None
        raise QueryError(f"query failed: {msg}") from None
    finally:
        if timer is not None:
            timer.cancel()
