"""Open the database and load crawl results in bulk, idempotently.

DuckDB lets one process hold a file for writing and refuses every other
process meanwhile, readers included. So the flow opens the write connection
only for a load, and every load is one transaction of Arrow inserts: a
crash leaves the previous state, a re-run replaces rather than duplicates.
"""
from __future__ import annotations

import hashlib
import os
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from nlp.records import EXTRACTOR_VERSION, Extraction
from pipeline.schema import migrate

DEFAULT_DB = "cityfacts.duckdb"


class DatabaseError(RuntimeError):
    """A database problem the user can act on; str() is the one-line message."""


class DatabaseBusy(DatabaseError):
    pass


def fault_point(name: str) -> None:
    """Test hook for crash and concurrency tests; does nothing unless CITYFACTS_FAULT_PAUSE names this point.

    Then it writes CITYFACTS_FAULT_FILE and waits (up to 5 minutes) while that file exists, so a test can
    kill -9 the process, or try another command, at a known moment: inside a load transaction, say.
    """
    if os.environ.get("CITYFACTS_FAULT_PAUSE") != name:
        return
    flag = Path(os.environ["CITYFACTS_FAULT_FILE"])
    flag.write_text(str(os.getpid()))
    deadline = time.monotonic() + 300
    while flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _is_lock_error(exc: Exception) -> bool:
    msg = str(exc)
    return "lock" in msg.lower() and ("Could not set lock" in msg or "Conflicting lock" in msg or "lock on file" in msg)


def connect(path: str | Path, read_only: bool = False, wait_s: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the database; on a lock held by another process, retry for wait_s, then say it is busy."""
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseError(f"{path}: no such database (run `cityfacts demo` or `cityfacts run` first)")
    deadline = time.monotonic() + wait_s
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise DatabaseError(f"{path}: cannot open: {exc}") from None
            if time.monotonic() >= deadline:
                what = "another cityfacts run is writing to it" if not read_only else "a cityfacts run is loading into it"
                raise DatabaseBusy(f"{path}: the database is busy ({what}); try again when it finishes") from None
            time.sleep(0.2)
        except duckdb.Error as exc:
            raise DatabaseError(f"{path}: not a usable DuckDB database: {exc}") from None
    if not read_only:
        migrate(con)
    return con


@contextmanager
def writer(path: str | Path, wait_s: float = 0.0) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(path, read_only=False, wait_s=wait_s)
    try:
        yield con
    finally:
        con.close()


def sha(data: bytes | str, n: int = 40) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:n]


def article_id(url: str) -> str:
    return sha(url, 20)


@dataclass
class PageRecord:
    url: str
    source: str
    fetched_at: str
    status: int
    content_type: str
    body: bytes

    @property
    def content_hash(self) -> str:
        return sha(self.body)


@dataclass
class ArticleRecord:
    url: str
    source: str
    title: str | None
    published: str | None
    text: str
    content_hash: str
    extraction: Extraction


@dataclass
class RunRecord:
    run_id: str
    started_at: datetime
    sources: list[str]
    requests: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    status: str = "completed"


def stored_hashes(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> dict[str, str]:
    urls = list(set(urls))
    if not urls:
        return {}
    tbl = pa.table({"url": urls})
    con.register("wanted_urls", tbl)
    try:
        rows = con.execute("SELECT p.url, p.content_hash FROM pages p JOIN wanted_urls w USING (url)").fetchall()
    finally:
        con.unregister("wanted_urls")
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


def _date(s: str | None) -> Any:
    if not s:
        return None
    try:
        return datetime.strptime(s[:10], "%Y-%m-%d").date()
    except ValueError:
        return None


def _facts_table(articles: list[ArticleRecord]) -> pa.Table:
    cols: dict[str, list[Any]] = {k: [] for k in (
        "id", "article_id", "url", "city", "metric", "value", "value_max", "unit", "approx", "counted",
        "text", "sentence", "start", "end", "published", "lang", "extractor_version")}
    for a in articles:
        aid = article_id(a.url)
        pub = _date(a.published)
        for f in a.extraction.facts:
            cols["id"].append(sha(f"{aid}|{EXTRACTOR_VERSION}|{f.start}|{f.end}", 24))
            cols["article_id"].append(aid)
            cols["url"].append(a.url)
            for k in ("city", "metric", "value", "value_max", "unit", "approx", "counted", "text", "sentence", "start", "end"):
                v = getattr(f, k)
                if k in ("value", "value_max") and v is not None:
                    v = float(v)
                cols[k].append(v)
            cols["published"].append(pub)
            cols["lang"].append(a.extraction.lang)
            cols["extractor_version"].append(EXTRACTOR_VERSION)
    schema = pa.schema([
        ("id", pa.string()), ("article_id", pa.string()), ("url", pa.string()), ("city", pa.string()),
        ("metric", pa.string()), ("value", pa.float64()), ("value_max", pa.float64()), ("unit", pa.string()),
        ("approx", pa.string()), ("counted", pa.string()), ("text", pa.string()), ("sentence", pa.string()),
        ("start", pa.int32()), ("end", pa.int32()), ("published", pa.date32()), ("lang", pa.string()),
        ("extractor_version", pa.string())])
    return pa.table(cols, schema=schema)


PAGES_SCHEMA = pa.schema([("url", pa.string()), ("source", pa.string()), ("fetched_at", pa.timestamp("us", tz="UTC")),
                          ("status", pa.int32()), ("content_type", pa.string()), ("content_hash", pa.string()),
                          ("html_z", pa.binary()), ("run_id", pa.string()), ("relevant", pa.bool_())])
ARTICLES_SCHEMA = pa.schema([("id", pa.string()), ("url", pa.string()), ("source", pa.string()), ("title", pa.string()),
                             ("published", pa.date32()), ("lang", pa.string()), ("text", pa.string()),
                             ("main_city", pa.string()), ("cities", pa.list_(pa.string())), ("content_hash", pa.string()),
                             ("extractor_version", pa.string()), ("extracted_at", pa.timestamp("us", tz="UTC"))])
MENTIONS_SCHEMA = pa.schema([("article_id", pa.string()), ("kind", pa.string()), ("name", pa.string()),
                             ("start", pa.int32()), ("end", pa.int32()), ("text", pa.string())])


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
    for name, tbl in tables.items():
        con.register(name, tbl)
    try:
        yield
    finally:
        for name in tables:
            try:
                con.unregister(name)
            except duckdb.Error:
                pass


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.begin()
    try:
        yield
        con.commit()
    except BaseException:
        con.rollback()
        raise


def load_pages(con: duckdb.DuckDBPyConnection, pages: list[PageRecord], run: RunRecord | None = None,
               aliases: dict[str, str] | None = None) -> dict[str, int]:
    """Store fetched pages (new or changed bytes only) and the run record, in one transaction."""
    before = stored_hashes(con, [p.url for p in pages])
    pages = list({p.url: p for p in pages}.values())
    new = sum(1 for p in pages if p.url not in before)
    changed = sum(1 for p in pages if p.url in before and before[p.url] != p.content_hash)
    unchanged = len(pages) - new - changed
    to_store = [p for p in pages if before.get(p.url) != p.content_hash]
    refreshed = [p.url for p in pages if before.get(p.url) == p.content_hash]
    tbl = pa.table({
        "url": [p.url for p in to_store], "source": [p.source for p in to_store],
        "fetched_at": pa.array([datetime.fromisoformat(p.fetched_at) for p in to_store], pa.timestamp("us", tz="UTC")),
        "status": pa.array([p.status for p in to_store], pa.int32()),
        "content_type": [p.content_type for p in to_store], "content_hash": [p.content_hash for p in to_store],
        "html_z": pa.array([zlib.compress(p.body) for p in to_store], pa.binary()),
        "run_id": [run.run_id if run else None for _ in to_store],
        "relevant": pa.array([None] * len(to_store), pa.bool_()),
    }, schema=PAGES_SCHEMA)
    alias_tbl = pa.table({"alias": list((aliases or {}).keys()), "url": list((aliases or {}).values())},
                         schema=pa.schema([("alias", pa.string()), ("url", pa.string())]))
    with transaction(con), _registered(con, new_pages=tbl, new_aliases=alias_tbl):
        con.execute("INSERT OR REPLACE INTO pages BY NAME SELECT * FROM new_pages")
        fault_point("load-pages")
        if refreshed:  # fetched again, same bytes: only the date moves
            con.execute("UPDATE pages SET fetched_at = now() WHERE url IN (SELECT unnest(?))", [refreshed])
        if aliases:
            con.execute("INSERT OR REPLACE INTO url_aliases SELECT * FROM new_aliases")
        if run is not None:
            finished = datetime.now(timezone.utc)
            con.execute(
                """INSERT OR REPLACE INTO crawl_runs (run_id, started_at, finished_at, sources, requests, fetched, new_pages,
                   changed_pages, unchanged_pages, failed, duration_s, status, articles, facts)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)""",
                [run.run_id, run.started_at, finished, run.sources, run.requests, len(pages), new, changed,
                 unchanged, len(run.failures), (finished - run.started_at).total_seconds(), run.status])
            for f in {f["url"]: f for f in run.failures}.values():
                con.execute("INSERT OR REPLACE INTO crawl_failures VALUES (?, ?, ?)", [run.run_id, f["url"], f["reason"]])
    return {"pages": len(pages), "new": new, "changed": changed, "unchanged": unchanged}


@dataclass
class StoredPage:
    url: str
    source: str
    content_type: str
    content_hash: str
    body: bytes


def pages_to_extract(con: duckdb.DuckDBPyConnection, everything: bool = False, sources: list[str] | None = None) -> list[str]:
    """URLs of stored pages that need (re-)extraction: not judged yet, changed, or extracted by another version."""
    where = "p.relevant IS DISTINCT FROM false" if everything else (
        "p.relevant IS NULL OR (p.relevant AND (a.id IS NULL OR a.content_hash <> p.content_hash "
        "OR a.extractor_version <> ?))")
    params: list[Any] = [] if everything else [EXTRACTOR_VERSION]
    sql = f"SELECT p.url FROM pages p LEFT JOIN articles a ON a.url = p.url WHERE ({where})"
    if sources:
        sql += " AND p.source IN (SELECT unnest(?))"
        params.append(sources)
    return [r[0] for r in con.execute(sql + " ORDER BY p.url", params).fetchall()]


def read_pages(con: duckdb.DuckDBPyConnection, urls: list[str]) -> list[StoredPage]:
    with _registered(con, wanted_urls=pa.table({"url": urls})):
        rows = con.execute("""SELECT p.url, p.source, p.content_type, p.content_hash, p.html_z
                              FROM pages p JOIN wanted_urls USING (url) ORDER BY p.url""").fetchall()
    return [StoredPage(u, s, ct or "", h, zlib.decompress(z)) for u, s, ct, h, z in rows]


@dataclass
class ArticleTables:
    """Arrow tables for one load: what bulk loading takes, whoever built them."""

    articles: pa.Table
    mentions: pa.Table
    facts: pa.Table
    judged: pa.Table  # url, relevant


def article_tables(articles: list[ArticleRecord], irrelevant: list[str] | None = None) -> ArticleTables:
    now = datetime.now(timezone.utc)
    articles = list({a.url: a for a in articles}.values())
    art_tbl = pa.table({
        "id": [article_id(a.url) for a in articles], "url": [a.url for a in articles],
        "source": [a.source for a in articles], "title": [a.title for a in articles],
        "published": pa.array([_date(a.published) for a in articles], pa.date32()),
        "lang": [a.extraction.lang for a in articles], "text": [a.text for a in articles],
        "main_city": [a.extraction.main_city for a in articles],
        "cities": pa.array([a.extraction.cities for a in articles], pa.list_(pa.string())),
        "content_hash": [a.content_hash for a in articles],
        "extractor_version": [EXTRACTOR_VERSION for _ in articles],
        "extracted_at": pa.array([now for _ in articles], pa.timestamp("us", tz="UTC")),
    }, schema=ARTICLES_SCHEMA)
    men = [(article_id(a.url), m.kind, m.name, m.start, m.end, m.text) for a in articles for m in a.extraction.mentions]
    men = list({(r[0], r[1], r[3]): r for r in men}.values())
    men_tbl = pa.table({k: [r[i] for r in men] for i, k in enumerate(MENTIONS_SCHEMA.names)}, schema=MENTIONS_SCHEMA)
    judged = pa.table({"url": [a.url for a in articles] + list(irrelevant or []),
                       "relevant": [True] * len(articles) + [False] * len(irrelevant or [])},
                      schema=pa.schema([("url", pa.string()), ("relevant", pa.bool_())]))
    return ArticleTables(art_tbl, men_tbl, _facts_table(articles), judged)


def load_article_tables(con: duckdb.DuckDBPyConnection, t: ArticleTables, run_id: str | None = None) -> dict[str, int]:
    """Replace these articles' rows, facts and mentions, and record which pages were judged, in one transaction."""
    with transaction(con), _registered(con, new_articles=t.articles, new_mentions=t.mentions, new_facts=t.facts, judged=t.judged):
        con.execute("DELETE FROM facts WHERE article_id IN (SELECT id FROM new_articles)")
        con.execute("DELETE FROM mentions WHERE article_id IN (SELECT id FROM new_articles)")
        con.execute("DELETE FROM articles WHERE id IN (SELECT id FROM new_articles)")
        con.execute("DELETE FROM articles WHERE url IN (SELECT url FROM judged WHERE NOT relevant)")
        con.execute("INSERT INTO articles BY NAME SELECT * FROM new_articles")
        con.execute("INSERT INTO mentions BY NAME SELECT * FROM new_mentions")
        con.execute("INSERT INTO facts BY NAME SELECT * FROM new_facts")
        con.execute("UPDATE pages SET relevant = judged.relevant FROM judged WHERE pages.url = judged.url")
        fault_point("load-articles")
        if run_id:
            con.execute("UPDATE crawl_runs SET articles = coalesce(articles, 0) + ?, facts = coalesce(facts, 0) + ? WHERE run_id = ?",
                        [t.articles.num_rows, t.facts.num_rows, run_id])
    irrelevant = t.judged.num_rows - t.articles.num_rows
    return {"articles": t.articles.num_rows, "facts": t.facts.num_rows, "irrelevant": irrelevant}


def load_articles(con: duckdb.DuckDBPyConnection, articles: list[ArticleRecord], irrelevant: list[str] | None = None,
                  run_id: str | None = None) -> dict[str, int]:
    return load_article_tables(con, article_tables(articles, irrelevant), run_id)


def load(con: duckdb.DuckDBPyConnection, pages: list[PageRecord], articles: list[ArticleRecord],
         run: RunRecord | None = None) -> dict[str, int]:
    """Pages and their articles together (two transactions: pages first, then what was extracted from them)."""
    counts = load_pages(con, pages, run)
    counts.update(load_articles(con, articles, [], run.run_id if run else None))
    return counts


def save_sources(con: duckdb.DuckDBPyConnection, sources: list[dict[str, Any]]) -> None:
    now = datetime.now(timezone.utc)
    for s in sources:
        con.execute("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
                    [s["name"], s["start_urls"], s["article_pattern"], s.get("follow_pattern"), s.get("lang"), now])
