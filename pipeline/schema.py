"""DuckDB schema: tables, views, and the migration that creates them.

Keys make loads idempotent: a page is keyed by its URL, an article by the
hash of its URL, a fact by (article, extractor version, offsets). Reloading
an article replaces its facts and mentions inside one transaction.
"""
from __future__ import annotations

import duckdb

SCHEMA_VERSION = 3

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
        status VARCHAR,
        articles INTEGER,
        facts INTEGER)""",
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
        run_id VARCHAR,
        relevant BOOLEAN)""",
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
    # facts and mentions carry no primary-key index: a load deletes an article's rows and inserts them anew
    # in one transaction, which keeps them unique, and an index would cost 85% of the insert speed.
    """CREATE TABLE IF NOT EXISTS mentions (
        article_id VARCHAR,
        kind VARCHAR,
        name VARCHAR,
        start INTEGER,
        "end" INTEGER,
        text VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS facts (
        id VARCHAR,
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


# DDL above is the current shape (what a new file gets). These bring a file made by an earlier
# version up to it, applied in order, once each.
MIGRATIONS: dict[int, list[str]] = {
    2: [
        # NULL: not judged yet; false: fails the source's keyword filter (kept, not extracted).
        "ALTER TABLE pages ADD COLUMN IF NOT EXISTS relevant BOOLEAN",
        "ALTER TABLE crawl_runs ADD COLUMN IF NOT EXISTS articles INTEGER",
        "ALTER TABLE crawl_runs ADD COLUMN IF NOT EXISTS facts INTEGER",
    ],
    3: [  # drop the primary-key indexes on facts and mentions (DuckDB cannot drop a constraint in place)
        "DROP VIEW IF EXISTS latest_facts",
        "DROP VIEW IF EXISTS city_metrics",
        "CREATE TABLE facts_v3 AS SELECT * FROM facts",
        "DROP TABLE facts",
        "ALTER TABLE facts_v3 RENAME TO facts",
        "CREATE TABLE mentions_v3 AS SELECT * FROM mentions",
        "DROP TABLE mentions",
        "ALTER TABLE mentions_v3 RENAME TO mentions",
    ],
}
VIEWS = [stmt for stmt in DDL if "VIEW" in stmt]


def migrate(con: duckdb.DuckDBPyConnection) -> None:
    con.begin()
    try:
        for stmt in DDL:
            con.execute(stmt)
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
        # A database without a version row was just created by DDL above: it is current already.
        current = row[0] if row and row[0] is not None else SCHEMA_VERSION
        for version in sorted(MIGRATIONS):
            if version > current:
                for stmt in MIGRATIONS[version]:
                    con.execute(stmt)
        if current < SCHEMA_VERSION:
            for stmt in VIEWS:  # views dropped by a migration come back
                con.execute(stmt)
        if current < SCHEMA_VERSION or row[0] is None:
            con.execute("DELETE FROM schema_version")
            con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])
        con.commit()
    except Exception:
        con.rollback()
        raise
