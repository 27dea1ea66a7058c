"""DuckDB schema: tables, views, and the migration that creates them.

Keys make loads idempotent: a page is keyed by its URL, an article by the
hash of its URL, a fact by (article, extractor version, offsets). Reloading
an article replaces its facts and mentions inside one transaction.
"""
from __future__ import annotations

import duckdb

SCHEMA_VERSION = 2

DDL = [
    """CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS sources (
        name VARCHAR PRIMARY KEY,
        start_urls VARCHAR[],
        article_pattern VARCHAR,
        follow_pattern VARCHAR,
        lang VARCHAR,
        updated_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS crawl_runs (
        run_id VARCHAR PRIMARY KEY,
        started_at TIMESTAMPTZ,
        finished_at TIMESTAMPTZ,
        sources VARCHAR[],
        requests INTEGER,
        fetched INTEGER,
        new_pages INTEGER,
        changed_pages INTEGER,
        unchanged_pages INTEGER,
        failed INTEGER,
        duration_s DOUBLE,
        status VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS crawl_failures (
        run_id VARCHAR,
        url VARCHAR,
        reason VARCHAR,
        PRIMARY KEY (run_id, url))""",
    """CREATE TABLE IF NOT EXISTS pages (
        url VARCHAR PRIMARY KEY,
        source VARCHAR,
        fetched_at TIMESTAMPTZ,
        status INTEGER,
        content_type VARCHAR,
        content_hash VARCHAR,
        html_z BLOB,
        run_id VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS articles (
        id VARCHAR PRIMARY KEY,
        url VARCHAR UNIQUE,
        source VARCHAR,
        title VARCHAR,
        published DATE,
        lang VARCHAR,
        text VARCHAR,
        main_city VARCHAR,
        cities VARCHAR[],
        content_hash VARCHAR,
        extractor_version VARCHAR,
        extracted_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS mentions (
        article_id VARCHAR,
        kind VARCHAR,
        name VARCHAR,
        start INTEGER,
        "end" INTEGER,
        text VARCHAR,
        PRIMARY KEY (article_id, kind, start))""",
    """CREATE TABLE IF NOT EXISTS facts (
        id VARCHAR PRIMARY KEY,
        article_id VARCHAR,
        url VARCHAR,
        city VARCHAR,
        metric VARCHAR,
        value DOUBLE,
        value_max DOUBLE,
        unit VARCHAR,
        approx VARCHAR,
        counted VARCHAR,
        text VARCHAR,
        sentence VARCHAR,
        start INTEGER,
        "end" INTEGER,
        published DATE,
        lang VARCHAR,
        extractor_version VARCHAR)""",
    # Links that redirected to a stored page: known, so not fetched again.
    """CREATE TABLE IF NOT EXISTS url_aliases (alias VARCHAR PRIMARY KEY, url VARCHAR)""",
    """CREATE OR REPLACE VIEW latest_facts AS
        SELECT * EXCLUDE (rn) FROM (
            SELECT f.*, row_number() OVER (
                PARTITION BY f.city, f.metric
                ORDER BY f.published DESC NULLS LAST, f.value DESC, f.id) AS rn
            FROM facts f
            WHERE f.city IS NOT NULL AND f.metric IS NOT NULL)
        WHERE rn = 1""",
    """CREATE OR REPLACE VIEW city_metrics AS
        SELECT city, metric, count(*) AS facts, count(DISTINCT article_id) AS articles,
               min(published) AS first_published, max(published) AS last_published
        FROM facts WHERE city IS NOT NULL AND metric IS NOT NULL
        GROUP BY city, metric""",
]


# Changes to a database made by an earlier version, applied in order, once each.
MIGRATIONS: dict[int, list[str]] = {
    2: [
        # NULL: not judged yet; false: fails the source's keyword filter (kept, not extracted).
        "ALTER TABLE pages ADD COLUMN IF NOT EXISTS relevant BOOLEAN",
        "ALTER TABLE crawl_runs ADD COLUMN IF NOT EXISTS articles INTEGER",
        "ALTER TABLE crawl_runs ADD COLUMN IF NOT EXISTS facts INTEGER",
    ],
}


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.begin()
    try:
        for stmt in DDL:
            con.execute(stmt)
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
        current = row[0] if row and row[0] is not None else 1
        for version in sorted(MIGRATIONS):
            if version > current:
                for stmt in MIGRATIONS[version]:
                    con.execute(stmt)
        if row is None or row[0] is None:
            for stmt in (s for v in sorted(MIGRATIONS) for s in MIGRATIONS[v]):
                con.execute(stmt)
        if current < SCHEMA_VERSION or row[0] is None:
            con.execute("DELETE FROM schema_version")
            con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])
        con.commit()
    except Exception:
        con.rollback()
        raise
