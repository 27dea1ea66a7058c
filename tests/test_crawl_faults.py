"""The crawler against a misbehaving loopback site, through the real flow: Scrapy, Prefect, DuckDB."""
from __future__ import annotations

import duckdb
import pytest
from faultsite import FAULTS, FaultSite

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


SOURCES = """\
contact: "mailto:tests@cityfacts.invalid"
sources:
  - name: faulty
    start_urls: ["{site}/list_1.html"]
    feeds: ["{site}/feed.xml", "{site}/atom.xml"]
    sitemaps: ["{site}/sitemap.xml"]
    article_pattern: '/(?:a|private)/\\w+\\.html$'
    follow_pattern: '/list_\\d+\\.html$'
    lang: auto
    keywords: [training, industrial, enterprises, 产教融合, colleges]
    politeness: {download_delay: 0, autothrottle: false, concurrency_per_domain: 8, timeout_s: 1.5, retries: 1, max_page_bytes: 100000}
"""
FAST_RETRY = {"RETRY_BACKOFF_BASE": 0.3}


def q(db, sql, *params):
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


@pytest.fixture()
def site():
    with FaultSite(timeout_s=4) as s:
        yield s


@pytest.fixture()
def sources_file(tmp_path):
    p = tmp_path / "faulty.yaml"
    p.write_text(SOURCES, encoding="utf-8")
    return p


def run(sources_file, db, site, **kw):
    from flows.flows import run_flow

    return run_flow(str(sources_file), str(db), {"site": site.url}, crawl_settings=FAST_RETRY, **kw)


def test_faults_are_recorded_good_pages_stored_once_and_recovery(prefect_api, site, sources_file, tmp_path):
    db = tmp_path / "f.duckdb"
    first = run(sources_file, db, site)
    pages = {u.rsplit("/", 1)[1] for (u,) in q(db, "SELECT url FROM pages")}
    failures = dict(q(db, "SELECT url, reason FROM crawl_failures"))
    failed = {u.rsplit("/", 1)[1] for u in failures}

    # good pages, found through list pages (with pagination), RSS and Atom feeds and the gzipped sitemap index
    for name in ("ok1", "ok2", "ok3", "feed1", "feed_old", "atom1", "map1", "map_old", "sports", "e503", "gbk_lie", "malformed"):
        assert f"{name}.html" in pages, name
    assert "secret.html" not in pages and site.fetched("/private/secret.html") == 0, "robots.txt obeyed"
    assert site.fetched("/a/offsite.html") == 0 and site.hosts == {site.url.removeprefix("http://")}, "allowed domains only"
    assert site.user_agents == {"cityfacts/0.1 (research crawler; +mailto:tests@cityfacts.invalid)"}
    assert all(site.fetched(f"/a/{n}.html") <= 3 for n in FAULTS)
    # each failure, with its reason
    assert {"e500.html", "timeout.html", "reset.html", "truncated.html", "loop.html", "big.html"} <= failed
    reasons = {u.rsplit("/", 1)[1]: r for u, r in failures.items()}
    assert "500" in reasons["e500.html"]
    assert "Timeout" in reasons["timeout.html"] or "timed out" in reasons["timeout.html"].lower()
    assert "redirect" in reasons["loop.html"].lower()
    assert "size" in reasons["big.html"].lower() or "Cancel" in reasons["big.html"]
    assert not (failed & pages), "a failed URL is not also stored"
    # redirects: the page is stored under the URL it ended at, the link as its alias
    assert "moved.html" not in pages and q(db, "SELECT count(*) FROM url_aliases WHERE alias LIKE '%moved.html'")[0][0] == 1
    # GBK bytes behind a header claiming UTF-8
    [(text,)] = q(db, "SELECT text FROM articles WHERE url LIKE '%gbk_lie.html'")
    assert "泰安市累计培育产教融合型企业35家" in text
    # malformed markup still yields its figures
    assert sorted(v for (v,) in q(db, "SELECT value FROM facts WHERE url LIKE '%malformed.html'")) == [8, 19]
    # keyword filter: stored, not extracted
    assert q(db, "SELECT relevant FROM pages WHERE url LIKE '%sports.html'") == [(False,)]
    assert q(db, "SELECT count(*) FROM articles WHERE url LIKE '%sports.html'") == [(0,)]
    # each good page exactly once
    assert q(db, "SELECT count(*), count(DISTINCT url) FROM pages")[0][0] == len(pages)
    [run_row] = q(db, "SELECT fetched, new_pages, failed, status, duration_s FROM crawl_runs")
    assert run_row[0] == len(pages) and run_row[1] == len(pages) and run_row[2] == len(failures) and run_row[3] == "completed"
    assert first["failed"] == len(failures)
    # retries back off: the 503 (Retry-After: 1) was fetched again no sooner than a second later
    times = [t for t, p in site.request_times if p == "/a/e503.html"]
    assert len(times) == 2 and times[1] - times[0] >= 0.9

    # second run over the unchanged site: list pages, feeds and sitemaps only; no article fetched twice
    before_pages = q(db, "SELECT count(*) FROM pages")[0][0]
    before_facts = q(db, "SELECT count(*) FROM facts")[0][0]
    site.requests.clear()
    run(sources_file, db, site)
    fetched = set(site.requests)
    good = {f"/a/{n}.html" for n in ("ok1", "ok2", "ok3", "feed1", "atom1", "map1", "sports", "gbk_lie", "malformed", "e503")}
    assert not (fetched & good), "stored articles are not fetched again"
    assert {"/list_1.html", "/list_2.html", "/feed.xml", "/atom.xml", "/sitemap.xml"} <= fetched
    assert q(db, "SELECT count(*) FROM pages")[0][0] == before_pages
    assert q(db, "SELECT count(*) FROM facts")[0][0] == before_facts

    # the site recovers: the next run completes what failed, and nothing is duplicated
    site.heal()
    healed = run(sources_file, db, site)
    pages_after = {u.rsplit("/", 1)[1] for (u,) in q(db, "SELECT url FROM pages")}
    assert {"e500.html", "timeout.html", "reset.html", "truncated.html", "big.html"} <= pages_after
    assert healed["new"] >= 5
    assert q(db, "SELECT count(*) = count(DISTINCT url) FROM pages") == [(True,)]
    assert q(db, "SELECT count(*) = count(DISTINCT id) FROM facts") == [(True,)]


def test_since_skips_old_feed_and_sitemap_entries(prefect_api, site, sources_file, tmp_path):
    db = tmp_path / "s.duckdb"
    run(sources_file, db, site, since="2024-01-01")
    assert site.fetched("/a/feed_old.html") == 0 and site.fetched("/a/map_old.html") == 0
    assert site.fetched("/a/feed1.html") == 1 and site.fetched("/a/map1.html") == 1


def test_reextract_rebuilds_facts_without_fetching(prefect_api, site, sources_file, tmp_path):
    from flows.work import extract_stored

    db = tmp_path / "r.duckdb"
    run(sources_file, db, site)
    before = q(db, "SELECT count(*) FROM facts")[0][0]
    con = duckdb.connect(str(db))
    con.execute("DELETE FROM facts")
    con.execute("UPDATE articles SET extractor_version = 'old'")
    con.close()
    site.requests.clear()
    counts = extract_stored(db)
    assert counts["facts"] == before and site.requests == []
    assert q(db, "SELECT count(*) FROM facts")[0][0] == before
    assert q(db, "SELECT DISTINCT extractor_version FROM articles") != [("old",)]


def test_pages_that_change_are_refetched_and_replace_their_facts(prefect_api, site, sources_file, tmp_path):
    db = tmp_path / "c.duckdb"
    changing = tmp_path / "changing.yaml"
    changing.write_text(sources_file.read_text().replace("    lang: auto\n", "    lang: auto\n    refetch_days: 0\n"))
    run(changing, db, site)
    assert q(db, "SELECT value FROM facts WHERE url LIKE '%ok1.html' AND metric = 'integration_enterprises'") == [(41.0,)]
    site.version = 2  # the site edits ok1 between runs
    second = run(changing, db, site)
    assert second["changed"] == 1 and second["new"] == 0
    assert q(db, "SELECT value FROM facts WHERE url LIKE '%ok1.html' AND metric = 'integration_enterprises'") == [(44.0,)]
    assert q(db, "SELECT count(*) = count(DISTINCT id) FROM facts") == [(True,)]
    assert q(db, "SELECT count(*) FROM pages WHERE url LIKE '%ok1.html'") == [(1,)]
