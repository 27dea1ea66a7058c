"""Loading into DuckDB: one transaction, keyed so that reloading replaces instead of duplicating."""
from __future__ import annotations

import duckdb
import pytest

from pipeline import db as pdb
from pipeline import load


def article(extractor, url, text):
    ex = extractor.extract(text)
    return load.ArticleRecord(url, "test", "t", "2024-01-02", text, pdb.sha(text), ex)


def page(url, body):
    return load.PageRecord(url, "test", "2024-01-02T00:00:00+00:00", 200, "text/html; charset=utf-8", body)


def test_reload_replaces_and_changed_pages_are_counted(tmp_path, extractor):
    db = tmp_path / "s.duckdb"
    a = article(extractor, "http://x/1", "Zibo has 52 integration enterprises and 7 industrial colleges.")
    with pdb.writer(db) as con:
        first = load.load(con, [page("http://x/1", b"<p>one</p>")], [a])
        again = load.load(con, [page("http://x/1", b"<p>one</p>")], [a])
        changed = load.load(con, [page("http://x/1", b"<p>two</p>")], [a])
        assert (first["new"], again["unchanged"], changed["changed"]) == (1, 1, 1)
        assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == 2
        assert con.execute("SELECT count(*) FROM pages").fetchone()[0] == 1
        latest = con.execute("SELECT city, metric, value FROM latest_facts ORDER BY value").fetchall()
        assert latest == [("Zibo", "industrial_colleges", 7.0), ("Zibo", "integration_enterprises", 52.0)]


def test_failed_load_leaves_nothing_behind(tmp_path, extractor):
    db = tmp_path / "s.duckdb"
    a = article(extractor, "http://x/1", "Zibo has 52 integration enterprises.")
    bad = page("http://x/2", b"x")
    bad.fetched_at = "not a date"
    with pdb.writer(db) as con:
        with pytest.raises(ValueError):
            load.load(con, [page("http://x/1", b"ok"), bad], [a])
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == 0
    con.close()


def test_read_only_open_of_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(pdb.DatabaseError, match="no such database"):
        pdb.connect(tmp_path / "none.duckdb", read_only=True)


def test_a_version_1_database_is_migrated(tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_version (version INTEGER)")
    con.execute("INSERT INTO schema_version VALUES (1)")
    con.execute("""CREATE TABLE pages (url VARCHAR PRIMARY KEY, source VARCHAR, fetched_at TIMESTAMPTZ, status INTEGER,
                   content_type VARCHAR, content_hash VARCHAR, html_z BLOB, run_id VARCHAR)""")
    con.execute("""CREATE TABLE facts (id VARCHAR PRIMARY KEY, article_id VARCHAR, url VARCHAR, city VARCHAR, metric VARCHAR,
                   value DOUBLE, value_max DOUBLE, unit VARCHAR, approx VARCHAR, counted VARCHAR, text VARCHAR, sentence VARCHAR,
                   start INTEGER, "end" INTEGER, published DATE, lang VARCHAR, extractor_version VARCHAR)""")
    con.execute("INSERT INTO facts (id, city, metric, value) VALUES ('f1', 'Zibo', 'majors', 3)")
    con.close()
    with pdb.writer(db) as con:
        assert con.execute("SELECT version FROM schema_version").fetchall() == [(3,)]
        assert "relevant" in [r[0] for r in con.execute("DESCRIBE pages").fetchall()]
        assert con.execute("SELECT city, value, status FROM facts").fetchall() == [("Zibo", 3.0, None)], "kept as it was"
        # A fact from before qualifiers existed is not known to be an actual city-wide total: it waits for
        # `reextract` rather than standing in a comparison beside figures that are.
        assert con.execute("SELECT count(*) FROM latest_facts").fetchone()[0] == 0
    with pdb.writer(db) as con:  # migrating again changes nothing
        assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == 1


def test_fact_columns_come_from_the_fact_record_and_reach_old_files(tmp_path):
    """Adding a field to nlp.records.Fact is the whole change: the table, the load and old files follow."""
    import dataclasses

    from nlp.records import Fact
    from pipeline.tables import FACTS

    fields = [f.name for f in dataclasses.fields(Fact)]
    assert FACTS.names == ["id", "article_id", "url", *fields, "published", "lang", "extractor_version"]
    assert FACTS.arrow_schema().names == FACTS.names
    path = tmp_path / "old.duckdb"
    with pdb.writer(path) as con:
        con.execute("ALTER TABLE facts DROP COLUMN counted")  # a file made before `counted` existed
        con.execute("ALTER TABLE crawl_runs DROP COLUMN crawl_log")
    with pdb.writer(path) as con:
        have = {r[0] for r in con.execute("DESCRIBE facts").fetchall()}
        assert set(FACTS.names) <= have
        assert "crawl_log" in {r[0] for r in con.execute("DESCRIBE crawl_runs").fetchall()}
        assert "counted" in {r[0] for r in con.execute("DESCRIBE latest_facts").fetchall()}


def test_claims_count_sources_and_compare_shows_disagreement(tmp_path, extractor):
    """The same figure from two hosts is one claim with two sources; another value for the same year is a disagreement."""
    from pipeline.compare import compare

    path = tmp_path / "c.duckdb"
    reports = [("http://a.example/1", "Weihai has 410 training bases.", "2024-03-01"),
               ("http://b.example/2", "Weihai has 410 training bases in all.", "2024-03-05"),
               ("http://c.example/3", "Weihai has 430 training bases.", "2024-02-01")]
    articles = [load.ArticleRecord(url, "t", "t", day, text, pdb.sha(text), extractor.extract(text, "en", day))
                for url, text, day in reports]
    with pdb.writer(path) as con:
        load.load_articles(con, articles)
        claims = con.execute("SELECT value_low, sources, hosts FROM claims WHERE city = 'Weihai' ORDER BY value_low").fetchall()
        assert claims == [(410.0, 2, 2), (430.0, 1, 1)]
        _, rows = compare(con, ["training_bases"])
    cell = rows[0]["training_bases"]
    assert (cell["value"], cell["sources"], cell["hosts"]) == (410.0, 2, 2)
    assert cell["disagreement"] == {"low": 410.0, "high": 430.0, "claims": 2}
