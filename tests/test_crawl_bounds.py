"""Every crawl is bounded, on loopback servers written for these tests: a link farm (endless unique list and
article URLs) stops at the source's bounds and says so in crawl_runs, and no more requests are in flight on a
domain than its politeness allows, whatever the delay."""
from __future__ import annotations

import threading
import time

import duckdb

from crawlers.sources import load_sources
from flows import work
from flows.loopback import LoopbackSite


class LinkFarm(LoopbackSite):
    """Every page links to 20 new articles and a next list page, forever; articles answer slowly."""

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def handle(self, h, path):
        if path == "/robots.txt":
            return self.respond(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path.startswith("/list/"):
            n = int(path.rsplit("/", 1)[1].removesuffix(".html"))
            links = "".join(f"<a href='/a/{n}-{i}.html'>x</a>" for i in range(20))
            body = f"<html><body>{links}<a href='/list/{n + 1}.html'>下一页</a></body></html>"
            return self.respond(h, 200, body.encode())
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            time.sleep(self.delay_s)
            body = "<html><body><h1>报道</h1><p>威海市新建实训基地12个，校企共建专业30个。</p></body></html>"
            return self.respond(h, 200, body.encode())
        finally:
            with self.lock:
                self.in_flight -= 1


def sources(tmp_path, site, extra: str):
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  - name: farm\n    start_urls: ['{site.url}/list/1.html']\n"
                    f"    article_pattern: '/a/[\\d-]+\\.html$'\n{extra}", encoding="utf-8")
    return load_sources(path)


def test_a_link_farm_stops_at_the_bounds_and_says_so(tmp_path):
    fast = "    politeness: {download_delay: 0, autothrottle: false, concurrency_per_domain: 8}\n"
    with LinkFarm() as site:
        srcs = sources(tmp_path, site, "    max_pages: 1000\n    max_list_pages: 3\n" + fast)
        result = work.crawl(srcs, tmp_path / "work", set())
        lists = [p for p in site.requests if p.startswith("/list/")]
    assert len(lists) == 3 and len(result.pages) == 60 and result.limits == "max_list_pages"
    with LinkFarm() as site:
        srcs = sources(tmp_path, site, "    max_pages: 50\n    max_list_pages: 1000\n" + fast)
        result = work.crawl(srcs, tmp_path / "work2", set())
        lists = [p for p in site.requests if p.startswith("/list/")]
    assert len(result.pages) == 50 and result.limits == "max_pages"
    assert len(lists) <= 4, "once no new article can be fetched, paging stops"
    db = tmp_path / "farm.duckdb"
    run = work.new_run(srcs)
    work.load_pages(db, srcs, result, run)
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT limits_hit FROM crawl_runs").fetchone()[0] == "max_pages"
    finally:
        con.close()


def test_at_most_n_requests_in_flight_per_domain_whatever_the_delay(tmp_path):
    with LinkFarm(delay_s=0.2) as site:
        srcs = sources(tmp_path, site, "    max_pages: 12\n    max_list_pages: 1\n"
                                       "    politeness: {download_delay: 0, autothrottle: false, concurrency_per_domain: 1}\n")
        result = work.crawl(srcs, tmp_path / "work", set())
        assert len(result.pages) == 12
        assert site.max_in_flight == 1, f"{site.max_in_flight} requests in flight on one domain with a limit of 1"


def test_url_patterns_are_matched_in_bounded_time(tmp_path):
    """A pattern that backtracks catastrophically is refused by `sources check`; at crawl time a URL that would
    take too long, or is over URL_MAX characters, simply does not match."""
    from conftest import cli

    from crawlers.patterns import URL_MAX, compile_pattern, search

    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - name: slow\n    start_urls: ['http://x.cn/']\n    article_pattern: '/(a|aa)+\\.html$'\n",
                   encoding="utf-8")
    out = cli("sources", "check", str(bad))
    assert out.returncode == 1 and "backtracks catastrophically" in out.stderr
    slow = compile_pattern(r"/(a|aa)+\.html$")
    assert search(slow, "http://x.cn/" + "a" * 1800 + "!") is False
    assert search(compile_pattern(r"/art/\d+\.html$"), "http://x.cn/art/1.html")
    assert not search(compile_pattern(r"/art/\d+\.html$"), "http://x.cn/" + "a" * URL_MAX + "/art/1.html")


def test_a_running_crawl_reports_its_progress(tmp_path):
    """The parent reads the child's spool as it grows: pages fetched and failures, while the crawl runs."""
    seen: list[tuple[int, int]] = []
    with LinkFarm(delay_s=0.1) as site:
        srcs = sources(tmp_path, site, "    max_pages: 30\n    max_list_pages: 2\n"
                                       "    politeness: {download_delay: 0, autothrottle: false, concurrency_per_domain: 2}\n")
        result = work.crawl(srcs, tmp_path / "work", set(), progress=lambda pages, failed: seen.append((pages, failed)))
    assert len(result.pages) == 30
    assert seen and seen == sorted(seen) and 0 < seen[-1][0] <= 30, seen


def test_pages_stream_from_the_spool_in_batches(tmp_path, monkeypatch):
    """A crawl's pages are loaded a batch per transaction, never all held at once; the run row has the totals."""
    from pipeline import load as pload

    monkeypatch.setattr(work, "PAGE_BATCH", 7)
    batches: list[int] = []
    real = pload.load_pages

    def spy(con, pages, *args, **kwargs):
        batches.append(len(pages))
        return real(con, pages, *args, **kwargs)

    monkeypatch.setattr(pload, "load_pages", spy)
    with LinkFarm() as site:
        srcs = sources(tmp_path, site, "    max_pages: 30\n    max_list_pages: 2\n"
                                       "    politeness: {download_delay: 0, autothrottle: false, concurrency_per_domain: 8}\n")
        result = work.crawl(srcs, tmp_path / "work", set())
    db = tmp_path / "stream.duckdb"
    totals = work.load_pages(db, srcs, result, work.new_run(srcs))
    assert batches == [7, 7, 7, 7, 2] and totals["pages"] == 30 and totals["new"] == 30
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM pages").fetchone()[0] == 30
        assert con.execute("SELECT fetched, new_pages FROM crawl_runs").fetchall() == [(30, 30)]
    finally:
        con.close()
    assert result.spool is not None and not result.spool.exists(), "the spool goes once its pages are stored"
