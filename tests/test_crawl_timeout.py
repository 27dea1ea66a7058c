"""A crawl that runs too long is stopped; what it fetched is kept and the run says why (crawl_timeout_s)."""
from __future__ import annotations

import duckdb
from faultsite import FaultSite

from crawlers.sources import Source
from flows import work


def test_a_crawl_past_its_timeout_is_stopped_keeping_its_pages(tmp_path):
    with FaultSite(timeout_s=60) as site:  # /a/timeout.html answers after a minute
        source = Source.model_validate({
            "name": "hanging", "start_urls": [f"{site.url}/list_1.html"], "article_pattern": r"/a/\w+\.html$",
            "crawl_timeout_s": 4,
            "politeness": {"download_delay": 0, "autothrottle": False, "concurrency_per_domain": 8,
                           "timeout_s": 120, "retries": 0}})
        result = work.crawl([source], tmp_path / "work", set())
    assert result.status == "timeout" and not result.complete
    assert {p.url.rsplit("/", 1)[1] for p in result.pages} >= {"ok1.html", "ok2.html"}, "pages fetched before are kept"
    assert "crawl stopped after 4 s (crawl_timeout_s)" in result.log
    db = tmp_path / "t.duckdb"
    run = work.new_run([source])
    work.load_pages(db, [source], result, run)
    con = duckdb.connect(str(db), read_only=True)
    try:
        status, log = con.execute("SELECT status, crawl_log FROM crawl_runs").fetchone()
        assert status == "timeout" and "crawl_timeout_s" in log
        assert con.execute("SELECT count(*) FROM pages").fetchone()[0] == result.page_count
    finally:
        con.close()
    assert not list((tmp_path / "work").iterdir()), "no spool or log files left behind"
