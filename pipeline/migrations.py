"""Bring any database file to the shape pipeline/tables.py declares, in one transaction.

Three steps, each idempotent: create what is missing (a new file gets the
current shape at once); run the numbered migrations an older file has not
had (changes that adding a column cannot express, such as dropping an
index); add every column the spec has and the file lacks, so a new column
needs no migration of its own. Views and the latest-value macro are
recreated each time, so they always see the current columns.

A DuckLake store gets the same tables without key constraints (it has
none) and the one-row `lake_commits` table (see pipeline/lake.py). Every
worker opens it for writing, so there a current store is left untouched:
rewriting its views on every open would make concurrent workers conflict.
"""
from __future__ import annotations

import duckdb

from pipeline import lake
from pipeline.tables import LATEST_MACRO, TABLES, VIEWS

SCHEMA_VERSION = 3

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


def sync_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Add the columns the spec declares and the file lacks; returns them as table.column."""
    have: dict[str, set[str]] = {}
    for table, column in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                     "WHERE table_schema = 'main' AND table_catalog = current_database()").fetchall():
        have.setdefault(table, set()).add(column)
    added = []
    for t in TABLES:
        for c in t.columns:
            if c.name not in have.get(t.name, set()):
                con.execute(f'ALTER TABLE {t.name} ADD COLUMN "{c.name}" {c.sql_type}')
                added.append(f"{t.name}.{c.name}")
    return added


def latest_macro(in_lake: bool) -> str:
    """DuckLake stores a macro's NULL defaults as the text 'NULL', so there it lives in each connection instead."""
    return LATEST_MACRO.replace("CREATE OR REPLACE MACRO", "CREATE OR REPLACE TEMP MACRO") if in_lake else LATEST_MACRO


def _is_current(con: duckdb.DuckDBPyConnection) -> bool:
    """A lake already in the current shape: every table, column and view there, the version current."""
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'main' AND table_catalog = current_database()").fetchall()}
    if not {t.name for t in TABLES} | {v.name for v in VIEWS} | {lake.COMMITS_TABLE} <= names:
        return False
    row = con.execute("SELECT max(version) FROM schema_version").fetchone()
    if not row or row[0] != SCHEMA_VERSION:
        return False
    cols = {(t, c) for t, c in con.execute("SELECT table_name, column_name FROM information_schema.columns "
                                           "WHERE table_schema = 'main' AND table_catalog = current_database()").fetchall()}
    return all((t.name, c.name) in cols for t in TABLES for c in t.columns)


def migrate(con: duckdb.DuckDBPyConnection, in_lake: bool = False) -> None:
    if in_lake:
        if not _is_current(con):
            lake.retry_conflicts(lambda: _migrate(con, in_lake=True))
        return
    _migrate(con)


def _migrate(con: duckdb.DuckDBPyConnection, in_lake: bool = False) -> None:
    con.begin()
    try:
        for t in TABLES:
            con.execute(t.ddl(constraints=not in_lake))
        if in_lake:
            con.execute(f"CREATE TABLE IF NOT EXISTS {lake.COMMITS_TABLE} (commits BIGINT)")
            row = con.execute(f"SELECT count(*) FROM {lake.COMMITS_TABLE}").fetchone()
            if not row or not row[0]:
                con.execute(f"INSERT INTO {lake.COMMITS_TABLE} VALUES (0)")
        row = con.execute("SELECT max(version) FROM schema_version").fetchone()
        stored = row[0] if row else None
        # A database without a version row was just created above: it is current already.
        current = SCHEMA_VERSION if stored is None else stored
        for version in sorted(MIGRATIONS):
            if version > current:
                for stmt in MIGRATIONS[version]:
                    con.execute(stmt)
        sync_columns(con)
        con.execute(latest_macro(in_lake))
        for v in VIEWS:
            con.execute(v.ddl())
        if stored is None or stored < SCHEMA_VERSION:
            con.execute("DELETE FROM schema_version")
            con.execute("INSERT INTO schema_version VALUES (?)", [SCHEMA_VERSION])
        con.commit()
    except Exception:
        try:
            con.rollback()
        except duckdb.TransactionException:
            pass  # a failed commit has already ended the transaction
        raise
