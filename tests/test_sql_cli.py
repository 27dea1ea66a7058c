"""`cityfacts sql` answers queries and refuses to change the database."""
from __future__ import annotations

import json

from conftest import cli

from pipeline import db as pdb
from pipeline import load


def test_sql_reads_and_refuses_writes(tmp_path, extractor):
    db = tmp_path / "q.duckdb"
    ex = extractor.extract("Zibo has 52 integration enterprises.")
    with pdb.writer(db) as con:
        load.load(con, [], [load.ArticleRecord("http://x/1", "t", "t", "2024-01-02", "x", "h", ex)])
    ok = cli("sql", "SELECT city, value FROM facts", "--db", str(db), "--format", "jsonl")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"city": "Zibo", "value": 52.0}
    bad = cli("sql", "DROP TABLE facts", "--db", str(db))
    assert bad.returncode == 1 and "read-only" in bad.stderr and "Traceback" not in bad.stderr
    still = cli("sql", "SELECT count(*) AS n FROM facts", "--db", str(db), "--format", "csv")
    assert still.stdout.splitlines() == ["n", "1"]


def small_db(tmp_path, extractor):
    db = tmp_path / "q.duckdb"
    ex = extractor.extract("Zibo has 52 integration enterprises. Weihai has 31 integration enterprises.")
    with pdb.writer(db) as con:
        load.load(con, [], [load.ArticleRecord("http://x/1", "t", "t", "2024-01-02", "x", "h", ex)])
    return db


def test_one_output_convention(tmp_path, extractor):
    """json is one array ([] when empty), jsonl a line per row, tsv and --no-headers, blobs as base64."""
    db = str(small_db(tmp_path, extractor))
    q = "SELECT city, value FROM facts ORDER BY value"
    assert json.loads(cli("sql", q, "--db", db, "--format", "json").stdout) == [
        {"city": "Weihai", "value": 31.0}, {"city": "Zibo", "value": 52.0}]
    assert cli("sql", "SELECT 1 AS x WHERE false", "--db", db, "--format", "json").stdout.strip() == "[]"
    assert len(cli("sql", q, "--db", db, "--format", "jsonl").stdout.splitlines()) == 2
    assert cli("sql", q, "--db", db, "--format", "tsv", "--no-headers").stdout.splitlines() == ["Weihai\t31.0", "Zibo\t52.0"]
    blob = json.loads(cli("sql", "SELECT 'ab'::BLOB AS b", "--db", db, "--format", "json").stdout)
    assert blob == [{"b": "YWI="}]
    assert cli("--version").stdout.startswith("cityfacts ")


def test_sql_from_stdin_a_file_and_several_statements(tmp_path, extractor):
    db = str(small_db(tmp_path, extractor))
    assert cli("sql", "-", "--db", db, "--format", "csv", input="SELECT 1 AS a").stdout.splitlines() == ["a", "1"]
    script = tmp_path / "q.sql"
    script.write_text("SELECT 1 AS a; SELECT 'x;y' AS b;", encoding="utf-8")
    out = cli("sql", "--file", str(script), "--db", db, "--format", "jsonl")
    assert [json.loads(line) for line in out.stdout.splitlines()] == [{"a": 1}, {"b": "x;y"}], "each result, in order"
    mixed = cli("sql", "SELECT 1; DELETE FROM facts", "--db", db)
    assert mixed.returncode == 1 and "not allowed" in mixed.stderr and mixed.stdout == "", "refused as a whole"
    assert cli("sql", "--db", db).returncode == 1, "no query at all"


def test_table_mode_has_a_row_limit(tmp_path, extractor):
    db = str(small_db(tmp_path, extractor))
    out = cli("sql", "SELECT * FROM range(500) t(n)", "--db", db, "--limit", "10")
    assert out.returncode == 0 and "490 more rows not shown" in out.stderr
    assert " 9 " in out.stdout and " 10 " not in out.stdout


def test_empty_and_unknown_filters_say_so(tmp_path, extractor):
    db = str(small_db(tmp_path, extractor))
    unknown = cli("compare", "--db", db, "--cities", "Atlantis")
    assert unknown.returncode == 1 and "unknown place 'Atlantis'" in unknown.stderr
    partly = cli("compare", "--db", db, "--cities", "Zibo,Jinan", "--format", "jsonl")
    assert partly.returncode == 0 and "no actual" in partly.stderr and "Jinan" in partly.stderr
    early = cli("compare", "--db", db, "--as-of", "2020-01-01")
    assert early.returncode == 1 and "before the first report" in early.stderr
    assert cli("compare", "--db", db, "--top", "-1").returncode == 2, "typer refuses it, no traceback"
    twice = cli("compare", "--db", db, "--metric", "integration_enterprises", "--metric", "integration_enterprises",
                "--format", "csv")
    assert twice.returncode == 0 and twice.stdout.count("integration_enterprises") == 2, "one column: Zibo and Weihai rows"
    empty = tmp_path / "empty.duckdb"
    with pdb.writer(empty):
        pass
    nothing = cli("compare", "--db", str(empty))
    assert nothing.returncode == 1 and "no facts yet" in nothing.stderr


def test_csv_export_defuses_formulas_from_crawled_text(tmp_path, extractor):
    """A title or sentence from a crawled page that starts like a spreadsheet formula is exported with a quote."""
    import csv

    db = tmp_path / "x.duckdb"
    ex = extractor.extract("Zibo has 52 integration enterprises.")
    with pdb.writer(db) as con:
        load.load(con, [], [load.ArticleRecord("http://x/1", "s", "@SUM(A1:A9)", "2024-01-02", "=cmd|' /C calc'!A0",
                                               "h", ex)])
    out = cli("export", "--db", str(db), "--out", str(tmp_path / "out"), "--format", "csv")
    assert out.returncode == 0, out.stderr
    articles = list(csv.DictReader((tmp_path / "out" / "articles.csv").open(encoding="utf-8")))
    assert (articles[0]["title"], articles[0]["text"]) == ("'@SUM(A1:A9)", "'=cmd|' /C calc'!A0")
    facts = list(csv.DictReader((tmp_path / "out" / "facts.csv").open(encoding="utf-8")))
    assert float(facts[0]["value"]) == 52.0, "numbers are left alone (no quote)"


def test_sql_has_a_time_and_memory_bound(tmp_path, extractor):
    db = str(small_db(tmp_path, extractor))
    slow = cli("sql", "SELECT count(*) FROM range(100000000000) t(a), range(10) u(b) WHERE a * b = -1", "--db", db,
               "--timeout", "0.5")
    assert slow.returncode == 1 and "stopped after 0.5 s" in slow.stderr
    big = cli("sql", "SELECT list(range) FROM range(50000000)", "--db", db, "--memory-limit", "50MB", "--timeout", "30")
    assert big.returncode == 1 and "memory" in big.stderr.lower() and "Traceback" not in big.stderr
    assert cli("sql", "SELECT 1", "--db", db, "--memory-limit", "lots").returncode == 1
    assert cli("sql", "SET memory_limit = '100GB'", "--db", db).returncode == 1, "the bound cannot be lifted from a query"


def test_sources_list_shows_sources_known_only_to_the_database(tmp_path):
    db = tmp_path / "s.duckdb"
    page = load.PageRecord("http://old.example/a.html", "retired-source", "2024-01-02T00:00:00+00:00", 200,
                           "text/html", b"<html><body><p>x</p></body></html>")
    with pdb.writer(db) as con:
        load.load(con, [page], [])
    out = cli("sources", "list", "--db", str(db))
    assert out.returncode == 0 and "retired-source" in out.stdout and "database only" in out.stdout
    assert "jinan-gov" in out.stdout, "the bundled sources are still listed"


def test_the_report_escapes_what_pages_say(tmp_path, extractor):
    """Text and URLs from crawled pages are data in the report: no script, no attribute breakout, no
    javascript: link."""
    db = tmp_path / "x.duckdb"
    hostile = "Zibo <script>alert(1)</script> '\"><img src=x onerror=alert(2)> has 52 integration enterprises."
    ex = extractor.extract(hostile, "en")
    with pdb.writer(db) as con:
        load.load(con, [], [load.ArticleRecord("javascript:alert(3)//", "s", "<b>t</b>", "2024-01-02", hostile, "h", ex)])
    out = tmp_path / "r.html"
    assert cli("report", "--db", str(db), "--out", str(out)).returncode == 0
    body = out.read_text(encoding="utf-8").split("</head>", 1)[1]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, "the sentence is shown, escaped"
    assert "<script" not in body and "<img" not in body, "nothing from the page becomes markup"
    assert "href='javascript:" not in body and 'href="javascript:' not in body


def test_quiet_and_verbose(tmp_path, extractor):
    db = str(small_db(tmp_path, extractor))
    loud = cli("reextract", "--db", db)
    assert loud.returncode == 0 and "re-extracted" in loud.stderr
    quiet = cli("-q", "reextract", "--db", db)
    assert quiet.returncode == 0 and quiet.stderr == "" and quiet.stdout == "", "nothing but errors"
    assert cli("-vv", "sql", "SELECT 1 AS a", "--db", db, "--format", "csv").stdout.splitlines() == ["a", "1"]
