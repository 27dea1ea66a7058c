"""The whole demo flow: real HTTP on loopback, real Scrapy, a real Prefect flow run, a real DuckDB file."""
from __future__ import annotations

import duckdb
import pytest
from conftest import cli

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


def counts(db) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("pages", "articles", "facts", "mentions", "crawl_runs")}
    finally:
        con.close()


def test_demo_flow_end_to_end_and_rerun_adds_nothing(prefect_api, demo_site, demo_sources, tmp_path):
    from flows.flows import run_flow

    db = tmp_path / "demo.duckdb"
    first = run_flow(str(demo_sources), str(db), {"demo": demo_site.url})
    assert first["new"] == 18 and first["articles"] == 18 and first["facts"] > 60

    con = duckdb.connect(str(db), read_only=True)
    langs = dict(con.execute("SELECT lang, count(*) FROM articles GROUP BY lang").fetchall())
    cities = {r[0] for r in con.execute("SELECT DISTINCT city FROM facts WHERE city IS NOT NULL").fetchall()}
    urls = [r[0] for r in con.execute("SELECT url FROM articles").fetchall()]
    gbk = con.execute("SELECT text FROM articles WHERE url LIKE '%content_0201%'").fetchone()[0]
    jinan_zh = con.execute("""SELECT value, unit FROM facts WHERE url LIKE '%content_0201%' AND text = '4200万元'""").fetchall()
    teaser = con.execute("SELECT count(*) FROM facts WHERE city IN ('Yichang', 'Ganzhou', 'Yibin')").fetchone()[0]
    teaser_values = con.execute("SELECT count(*) FROM facts WHERE value IN (600000000, 450000, 80000000)").fetchone()[0]
    con.close()

    assert langs["en"] >= 6 and langs["zh"] >= 6 and sum(langs.values()) >= 12
    assert len(cities) >= 6
    assert {"Jinan", "Qingdao", "Wuxi", "Chongqing"} <= cities
    assert all(u.startswith("http://demo-news.invalid/") for u in urls)
    assert not any("/admin/" in u for u in urls), "robots.txt disallows /admin/"
    assert not any(p.startswith("/admin/") for p in demo_site.requests)
    assert "培育省级产教融合型企业56家" in gbk and "\ufffd" not in gbk, "GBK page decoded"
    assert jinan_zh == [(42_000_000.0, "yuan")]
    assert teaser == 0 and teaser_values == 0, "related-article teasers are not facts of the article"
    before = counts(db)

    demo_site.requests.clear()
    second = run_flow(str(demo_sources), str(db), {"demo": demo_site.url})
    assert second["new"] == 0 and second["articles"] == 0
    assert counts(db) == {**before, "crawl_runs": before["crawl_runs"] + 1}
    fetched_articles = [p for p in demo_site.requests if p.endswith(".html") and "/list_" not in p]
    assert fetched_articles == [], "articles already stored are not fetched again"


def test_crawl_only_then_reextract_and_sources_list(prefect_api, demo_site, demo_sources, tmp_path):
    from flows.flows import run_flow

    db = tmp_path / "pages.duckdb"
    result = run_flow(str(demo_sources), str(db), {"demo": demo_site.url}, extract_articles=False)
    assert result["new"] == 18 and result["articles"] == 0
    assert counts(db)["articles"] == 0 and counts(db)["pages"] == 18
    out = cli("reextract", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "re-extracted 18 articles" in out.stderr
    assert counts(db)["articles"] == 18 and counts(db)["facts"] > 60
    con = duckdb.connect(str(db), read_only=True)
    try:
        run_counts = con.execute("SELECT articles, facts FROM crawl_runs").fetchall()
        facts_total = con.execute("SELECT count(*) FROM facts").fetchone()[0]
    finally:
        con.close()
    assert run_counts == [(18, facts_total)], "the crawl's run counts what its pages yielded once re-extracted"
    again = cli("reextract", "--db", str(db))
    assert "re-extracted 0 articles" in again.stderr, "nothing is stale after a re-extraction"
    filled = tmp_path / "demo.yaml"
    filled.write_text(demo_sources.read_text().replace("{demo}", demo_site.url))
    listing = cli("sources", "list", "--sources", str(filled), "--db", str(db))
    assert listing.returncode == 0 and "demo-news" in listing.stdout and "18" in listing.stdout
