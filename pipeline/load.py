"""Bulk loads: crawl results and extractions into DuckDB through Arrow, one transaction each, idempotently.

Keys make loads idempotent: a page is keyed by its URL, an article by the
hash of its URL, a fact by (article, extractor version, offsets). Reloading
an article replaces its facts and mentions inside one transaction, so a
crash leaves the previous state and a re-run replaces rather than
duplicates. Every Arrow table is built against its schema in
pipeline/tables.py.
"""
from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from nlp.records import EXTRACTOR_VERSION, Extraction, Fact
from pipeline import lake
from pipeline.db import article_id, fault_point, registered, sha, transaction
from pipeline.queries import stored_hashes
from pipeline.tables import ARTICLES, CRAWL_FAILURES, CRAWL_RUNS, FACTS, MENTIONS, PAGES, SOURCES, URL_ALIASES, Table


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
    crawl_log: str | None = None
    limits_hit: str | None = None


def arrow(spec: Table, columns: dict[str, list[Any]]) -> pa.Table:
    """An Arrow table with every column of the spec, in its types (columns not given are NULL)."""
    n = len(next(iter(columns.values()))) if columns else 0
    unknown = set(columns) - set(spec.names)
    if unknown:
        raise KeyError(f"{spec.name}: no such column {', '.join(sorted(unknown))}")
    return pa.table({c.name: pa.array(columns.get(c.name, [None] * n), c.arrow_type) for c in spec.columns},
                    schema=spec.arrow_schema())


def _date(s: str | None) -> date | None:
    if not s:
        return None
    try:
        return datetime.strptime(s[:10], "%Y-%m-%d").date()
    except ValueError:
        return None


FACT_FIELDS = [f.name for f in dataclasses.fields(Fact)]


def facts_table(articles: list[ArticleRecord]) -> pa.Table:
    cols: dict[str, list[Any]] = {name: [] for name in FACTS.names}
    for a in articles:
        aid = article_id(a.url)
        pub = _date(a.published)
        for f in a.extraction.facts:
            cols["id"].append(sha(f"{aid}|{EXTRACTOR_VERSION}|{f.start}|{f.end}", 24))
            cols["article_id"].append(aid)
            cols["url"].append(a.url)
            for k in FACT_FIELDS:
                cols[k].append(getattr(f, k))
            cols["published"].append(pub)
            cols["lang"].append(a.extraction.lang)
            cols["extractor_version"].append(EXTRACTOR_VERSION)
    return arrow(FACTS, cols)


def upsert(con: duckdb.DuckDBPyConnection, spec: Table, source: str, in_lake: bool) -> None:
    """Insert the rows of `source` into the table, replacing rows with the same key.
    DuckLake has no keys for INSERT OR REPLACE: there the old rows are deleted first, in the same transaction."""
    if not in_lake:
        con.execute(f"INSERT OR REPLACE INTO {spec.name} BY NAME SELECT * FROM {source}")
        return
    match = " AND ".join(f"{spec.name}.{k} = {source}.{k}" for k in spec.primary_key)
    con.execute(f"DELETE FROM {spec.name} USING {source} WHERE {match}")
    con.execute(f"INSERT INTO {spec.name} BY NAME SELECT * FROM {source}")


@contextmanager
def load_transaction(con: duckdb.DuckDBPyConnection, in_lake: bool) -> Iterator[None]:
    """One load's transaction; in a lake it also claims the commit, so overlapping loads conflict and retry."""
    with transaction(con):
        if in_lake:
            lake.claim_commit(con)
        yield


def load_pages(con: duckdb.DuckDBPyConnection, pages: list[PageRecord], run: RunRecord | None = None,
               aliases: dict[str, str] | None = None, record_run: bool = True,
               carried: dict[str, int] | None = None) -> dict[str, int]:
    """Store fetched pages (new or changed bytes only) and, with record_run, the run record, in one transaction.
    A crawl loaded in batches records its run with the last batch; `carried` holds the earlier batches' counts.
    A commit that conflicts with another writer's (a lake's) is redone on the new state."""
    return lake.retry_conflicts(lambda: _load_pages(con, pages, run, aliases, record_run, carried))


def _load_pages(con: duckdb.DuckDBPyConnection, pages: list[PageRecord], run: RunRecord | None,
                aliases: dict[str, str] | None, record_run: bool, carried: dict[str, int] | None) -> dict[str, int]:
    in_lake = lake.in_lake(con)
    before = stored_hashes(con, [p.url for p in pages])
    pages = list({p.url: p for p in pages}.values())
    new = sum(1 for p in pages if p.url not in before)
    changed = sum(1 for p in pages if p.url in before and before[p.url] != p.content_hash)
    unchanged = len(pages) - new - changed
    to_store = [p for p in pages if before.get(p.url) != p.content_hash]
    refreshed = [p.url for p in pages if before.get(p.url) == p.content_hash]
    tbl = arrow(PAGES, {
        "url": [p.url for p in to_store], "source": [p.source for p in to_store],
        "fetched_at": [datetime.fromisoformat(p.fetched_at) for p in to_store],
        "status": [p.status for p in to_store],
        "content_type": [p.content_type for p in to_store], "content_hash": [p.content_hash for p in to_store],
        "html_z": [zlib.compress(p.body) for p in to_store],
        "run_id": [run.run_id if run else None for _ in to_store],
    })
    alias_tbl = arrow(URL_ALIASES, {"alias": list((aliases or {}).keys()), "url": list((aliases or {}).values())})
    with load_transaction(con, in_lake), registered(con, new_pages=tbl, new_aliases=alias_tbl):
        upsert(con, PAGES, "new_pages", in_lake)
        fault_point("load-pages")
        if refreshed:  # fetched again, same bytes: only the date moves
            con.execute("UPDATE pages SET fetched_at = now() WHERE url IN (SELECT unnest(?))", [refreshed])
        if aliases:
            upsert(con, URL_ALIASES, "new_aliases", in_lake)
        if run is not None and record_run:
            finished = datetime.now(UTC)
            c = carried or {}
            run_tbl = arrow(CRAWL_RUNS, {
                "run_id": [run.run_id], "started_at": [run.started_at], "finished_at": [finished],
                "sources": [run.sources], "requests": [run.requests], "fetched": [len(pages) + c.get("pages", 0)],
                "new_pages": [new + c.get("new", 0)], "changed_pages": [changed + c.get("changed", 0)],
                "unchanged_pages": [unchanged + c.get("unchanged", 0)], "failed": [len(run.failures)],
                "duration_s": [(finished - run.started_at).total_seconds()], "status": [run.status],
                "articles": [0], "facts": [0], "crawl_log": [run.crawl_log], "limits_hit": [run.limits_hit]})
            failures = list({f["url"]: f for f in run.failures}.values())
            fail_tbl = arrow(CRAWL_FAILURES, {"run_id": [run.run_id] * len(failures), "url": [f["url"] for f in failures],
                                              "reason": [f["reason"] for f in failures]})
            with registered(con, new_run=run_tbl, new_failures=fail_tbl):
                upsert(con, CRAWL_RUNS, "new_run", in_lake)
                upsert(con, CRAWL_FAILURES, "new_failures", in_lake)
    return {"pages": len(pages), "new": new, "changed": changed, "unchanged": unchanged}


@dataclass
class ArticleTables:
    """Arrow tables for one load: what bulk loading takes, whoever built them."""

    articles: pa.Table
    mentions: pa.Table
    facts: pa.Table
    judged: pa.Table  # url, relevant


def article_tables(articles: list[ArticleRecord], irrelevant: list[str] | None = None) -> ArticleTables:
    now = datetime.now(UTC)
    articles = list({a.url: a for a in articles}.values())
    art_tbl = arrow(ARTICLES, {
        "id": [article_id(a.url) for a in articles], "url": [a.url for a in articles],
        "source": [a.source for a in articles], "title": [a.title for a in articles],
        "published": [_date(a.published) for a in articles],
        "lang": [a.extraction.lang for a in articles], "text": [a.text for a in articles],
        "main_city": [a.extraction.main_city for a in articles],
        "cities": [a.extraction.cities for a in articles],
        "content_hash": [a.content_hash for a in articles],
        "extractor_version": [EXTRACTOR_VERSION for _ in articles],
        "extracted_at": [now for _ in articles],
    })
    men = [(article_id(a.url), m.kind, m.name, m.start, m.end, m.text) for a in articles for m in a.extraction.mentions]
    men = list({(r[0], r[1], r[3]): r for r in men}.values())
    men_tbl = arrow(MENTIONS, {k: [r[i] for r in men] for i, k in enumerate(MENTIONS.names)})
    judged = pa.table({"url": [a.url for a in articles] + list(irrelevant or []),
                       "relevant": [True] * len(articles) + [False] * len(irrelevant or [])},
                      schema=pa.schema([("url", pa.string()), ("relevant", pa.bool_())]))
    return ArticleTables(art_tbl, men_tbl, facts_table(articles), judged)


def load_article_tables(con: duckdb.DuckDBPyConnection, t: ArticleTables, run_id: str | None = None) -> dict[str, int]:
    """Replace these articles' rows, facts and mentions, and record which pages were judged, in one transaction
    (redone on the new state when a lake commit conflicts with another writer's)."""
    return lake.retry_conflicts(lambda: _load_article_tables(con, t, run_id))


def _load_article_tables(con: duckdb.DuckDBPyConnection, t: ArticleTables, run_id: str | None) -> dict[str, int]:
    with load_transaction(con, lake.in_lake(con)), registered(con, new_articles=t.articles, new_mentions=t.mentions, new_facts=t.facts, judged=t.judged):
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
        else:
            # A re-extraction (after `crawl`, or an extractor update): the runs that stored these pages count
            # what their pages now yield.
            con.execute("""
                UPDATE crawl_runs SET
                  articles = (SELECT count(*) FROM articles a JOIN pages p ON a.url = p.url WHERE p.run_id = crawl_runs.run_id),
                  facts = (SELECT count(*) FROM facts f JOIN pages p ON f.url = p.url WHERE p.run_id = crawl_runs.run_id)
                WHERE run_id IN (SELECT DISTINCT p.run_id FROM pages p JOIN judged j ON p.url = j.url)""")
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


def save_sources(con: duckdb.DuckDBPyConnection, sources: Iterable[dict[str, Any]]) -> None:
    now = datetime.now(UTC)
    rows = list(sources)
    tbl = arrow(SOURCES, {"name": [s["name"] for s in rows], "start_urls": [s["start_urls"] for s in rows],
                          "article_pattern": [s["article_pattern"] for s in rows],
                          "follow_pattern": [s.get("follow_pattern") for s in rows], "lang": [s.get("lang") for s in rows],
                          "updated_at": [now for _ in rows]})
    in_lake = lake.in_lake(con)

    def save() -> None:
        with load_transaction(con, in_lake), registered(con, new_sources=tbl):
            upsert(con, SOURCES, "new_sources", in_lake)
    lake.retry_conflicts(save)
