"""What analysts use: sql, compare, city, export, schema and the HTML report, on a crawled demo database."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile

import duckdb
import pytest
from conftest import ROOT, cli


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The demo site crawled, extracted and loaded by the same steps the flow runs (without Prefect)."""
    from crawlers.sources import load_sources
    from flows import work
    from flows.demo_server import DemoSite

    db = tmp_path_factory.mktemp("db") / "demo.duckdb"
    with DemoSite() as site:
        sources = load_sources(ROOT / "flows" / "demo_site" / "sources.yaml", {"demo": site.url})
        result = work.crawl(sources, db.parent / "work", set())
        run = work.new_run(sources)
        work.load_pages(db, sources, result, run)
        work.extract_stored(db, sources, run_id=run.run_id)
    return db


def test_compare_json_has_evidence_for_every_value(demo_db):
    out = cli("compare", "--db", str(demo_db), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) >= 6
    cells = [cell for r in rows for k, cell in r.items() if k not in ("city", "slice")]
    assert all(r["slice"] == {"status": "actual", "aspect": "total", "level": None, "scope": "city", "year": None} for r in rows)
    assert cells and all(c["url"].startswith("http") and c["sentence"] and c["published"] for c in cells)
    assert all(c["text"] in c["sentence"] for c in cells), "the sentence is the evidence for the figure"


def test_compare_as_of_and_city_names(demo_db):
    # Central-budget funds are national-level money: their own slice, not a city's total funding.
    out = cli("compare", "--db", str(demo_db), "--format", "jsonl", "--metric", "funding_yuan", "--as-of", "2024-03-20",
              "--cities", "济南市,Qingdao", "--level", "national")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["city"] for r in rows] == ["Jinan"], "Qingdao's funding was reported after the date"
    assert rows[0]["funding_yuan"]["value"] == 38_000_000 and rows[0]["funding_yuan"]["published"] == "2024-03-12"
    later = json.loads(cli("compare", "--db", str(demo_db), "--format", "jsonl", "--metric", "funding_yuan",
                           "--cities", "Jinan", "--level", "national").stdout)
    assert later["slice"]["level"] == "national"
    assert later["funding_yuan"]["value"] == 42_000_000 and later["funding_yuan"]["published"] == "2024-03-25"
    bad = cli("compare", "--db", str(demo_db), "--metric", "no_such_metric")
    assert bad.returncode == 1 and "unknown metric no_such_metric" in bad.stderr


# The default comparison of the demo database, each cell checked by hand against its evidence sentence: an actual,
# city-wide total of all levels (the demo's additions, targets, national subsets, county counts, capacities,
# per-project caps, one college's partners and programme participants are in it too, and must not appear).
VERIFIED_CELLS = {
    ("Changsha", "training_bases"): 280, ("Changsha", "integration_enterprises"): 46,
    ("Chongqing", "higher_vocational_colleges"): 44, ("Chongqing", "training_bases"): 1800,
    ("Suzhou", "funding_yuan"): 500_000_000, ("Suzhou", "training_bases"): 420,
    ("Huangshi", "integration_enterprises"): 36, ("Jinan", "training_bases"): 2900,
    ("Qingdao", "industrial_colleges"): 42, ("Shenzhen", "industrial_colleges"): 105,
    ("Tianjin", "higher_vocational_colleges"): 19, ("Yantai", "funding_yuan"): 30_000_000,
}


def test_default_compare_cells_measure_what_their_column_says(demo_db):
    out = cli("compare", "--db", str(demo_db), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    cells = {(r["city"], m): c["value"] for r in map(json.loads, out.stdout.splitlines())
             for m, c in r.items() if m not in ("city", "slice")}
    assert cells == VERIFIED_CELLS, "every cell checked by hand against its sentence; a new one must be checked too"


def test_city_profile_over_time(demo_db):
    out = cli("city", "济南", "--db", str(demo_db), "--format", "jsonl")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert {r["city"] for r in rows} == {"Jinan"}
    funding = [(r["published"], r["value"]) for r in rows if r["metric"] == "funding_yuan"]
    assert funding == [("2024-03-12", 38_000_000), ("2024-03-25", 42_000_000)]
    missing = cli("city", "Lhasa", "--db", str(demo_db))
    assert missing.returncode == 1 and "no facts about 'Lhasa'" in missing.stderr


@pytest.mark.parametrize("statement", [
    "DROP TABLE facts", "INSERT INTO facts SELECT * FROM facts", "DELETE FROM facts", "ATTACH ':memory:' AS m",
    "COPY facts TO '/tmp/cityfacts-leak.csv'", "INSTALL fts", "CREATE TABLE x AS SELECT 1", "SELECT 1; DROP TABLE facts",
])
def test_sql_refuses_every_change(demo_db, statement):
    out = cli("sql", statement, "--db", str(demo_db))
    assert out.returncode == 1 and "refused" in out.stderr and "Traceback" not in out.stderr
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute("SELECT count(*) FROM facts").fetchone()[0] > 0
    con.close()


def test_sql_cannot_read_other_files(demo_db):
    out = cli("sql", "SELECT * FROM read_csv('/etc/hostname')", "--db", str(demo_db))
    assert out.returncode == 1 and "Traceback" not in out.stderr


def test_export_parquet_and_csv(demo_db, tmp_path):
    con = duckdb.connect(str(demo_db), read_only=True)
    n_facts = con.execute("SELECT count(*) FROM facts").fetchone()[0]
    con.close()
    for fmt in ("parquet", "csv"):
        out = cli("export", "--db", str(demo_db), "--format", fmt, "--out", str(tmp_path / fmt))
        assert out.returncode == 0, out.stderr
        check = duckdb.connect()
        reader = "read_parquet" if fmt == "parquet" else "read_csv"
        assert check.execute(f"SELECT count(*) FROM {reader}('{tmp_path / fmt / ('facts.' + fmt)}')").fetchone()[0] == n_facts
        assert (tmp_path / fmt / f"latest_facts.{fmt}").exists() and (tmp_path / fmt / f"articles.{fmt}").exists()
    bad = cli("export", "--db", str(demo_db), "--format", "xlsx", "--out", str(tmp_path / "x"))
    assert bad.returncode == 1 and "expected parquet or csv" in bad.stderr


def test_schema_documents_every_column():
    out = cli("schema")
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("| `")]
    assert len(rows) > 60
    assert all(not line.rstrip().endswith("| |") for line in rows), [line for line in rows if line.rstrip().endswith("| |")]
    assert out.stdout == (ROOT / "docs" / "schema.md").read_text(encoding="utf-8"), "docs/schema.md is `cityfacts schema`"


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def browser(*args: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="cityfacts-chromium-")
    try:
        return subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", *args],
                              capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_report_is_self_contained_and_draws_its_charts(demo_db, tmp_path):
    if chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs Debian's chromium (.ci/run); it is missing")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    report = tmp_path / "report.html"
    out = cli("report", "--db", str(demo_db), "--out", str(report))
    assert out.returncode == 0, out.stderr
    page = report.read_text(encoding="utf-8")
    # nothing is loaded from anywhere: no external scripts, styles, images, fonts; a CSP that forbids them
    assert not re.search(r"<(?:script|img|link|iframe)[^>]+(?:src|href)=", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    # each number links to its evidence row, which holds the sentence and the source URL
    anchors = set(re.findall(r"href=[\"'](?:#)(f-[0-9a-f]+)[\"']", page))
    rows = set(re.findall(r"<tr id='(f-[0-9a-f]+)'>", page))
    assert anchors and anchors <= rows
    assert "http://demo-news.invalid/" in page

    assert "vega.github.io" not in page, "chart links stay in the page"
    for width in (700, 1400):  # a narrow window and a wide one: charts scale, no label is cut off
        dom = browser(f"--window-size={width},1400", "--dump-dom", report.as_uri())
        body = re.search(r"<body[^>]*>", dom.stdout).group(0)
        assert 'data-ready="yes"' in body and "data-errors" not in body, body
        charts = int(re.search(r'data-charts="(\d+)"', body).group(1))
        marks = int(re.search(r'data-marks="(\d+)"', body).group(1))
        assert charts >= 5 and marks >= 30
        assert 'data-overflow="0"' in body, f"at {width} px some text overflows its chart: {body}"
    # every bar says the day its value was reported; CJK fonts are named before the generic family
    assert re.search(r">[^<]*\(\d{4}-\d{2}-\d{2}\)</text>", page)
    assert "Noto Sans CJK SC" in page and "Microsoft YaHei" in page

    shot = tmp_path / "report.png"
    browser("--window-size=1200,1400", f"--screenshot={shot}", report.as_uri())
    from PIL import Image

    img = Image.open(shot).convert("RGB")
    colours = img.getcolors(maxcolors=1 << 20)
    bar_blue = sum(n for n, c in colours if abs(c[0] - 0x2b) < 12 and abs(c[1] - 0x6c) < 12 and abs(c[2] - 0xb0) < 12)
    assert bar_blue > 2000, "the first metric's bars are drawn in the screenshot"


@pytest.mark.parametrize("statement", [
    "SELECT * FROM glob('/etc/*')", "SELECT * FROM read_text('/etc/hostname')", "SET threads = 1", "LOAD fts",
    "CALL pragma_version()", "WITH d AS (DELETE FROM facts RETURNING *) SELECT count(*) FROM d",
    "/* harmless */ DROP TABLE facts", "SELECT 1; -- then\nDELETE FROM facts", "PRAGMA enable_external_access",
    "SET lock_configuration = false",
])
def test_the_sandbox_holds_under_attack(demo_db, statement):
    """File readers, glob, SET, LOAD, CALL, DML hidden in a CTE, a comment or a second statement: refused or
    failing cleanly, and the data untouched."""
    out = cli("sql", statement, "--db", str(demo_db))
    assert out.returncode == 1 and "Traceback" not in out.stderr, (statement, out.stdout[:200], out.stderr)
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute("SELECT count(*) FROM facts").fetchone()[0] > 0
    con.close()
