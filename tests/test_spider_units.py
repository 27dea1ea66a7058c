"""The report spider's parse methods on hand-made responses: no reactor, no server, milliseconds each.

The end-to-end crawl tests (test_crawl_faults, test_demo_flow) show the spider works inside Scrapy; these
pin down what each callback yields for each page shape, and the spool round trip of what it yields.
"""
from __future__ import annotations

import gzip

import scrapy
from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from twisted.python.failure import Failure as TwistedFailure

from crawlers.spiders.reports import ReportSpider
from crawlers.spool import Alias, Failure, Page, SpoolWriter, Summary, read_spool

SOURCE = {
    "name": "unit", "start_urls": ["http://news.test/list.html"], "feeds": ["http://news.test/rss.xml"],
    "sitemaps": ["http://news.test/sitemap.xml"], "article_pattern": r"/art/\d+\.html$",
    "follow_pattern": r"/list_\d+\.html$", "lang": "zh", "allowed_domains": ["news.test"],
}


def spider(**kw) -> ReportSpider:
    return ReportSpider(source={**SOURCE, **kw.pop("source", {})}, **kw)


def html(url: str, body: str, **kw) -> HtmlResponse:
    return HtmlResponse(url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url, **kw))


def xml(url: str, body: bytes) -> XmlResponse:
    return XmlResponse(url, body=body, request=Request(url))


def urls(items) -> list[str]:
    return [i.url for i in items if isinstance(i, scrapy.Request)]


def test_list_page_yields_new_articles_and_list_pages_only():
    s = spider(seen={"http://news.test/art/2.html"})
    page = html("http://news.test/list.html", """
        <a href="/art/1.html">new</a> <a href="art/2.html">already stored</a> <a href="/list_2.html">next</a>
        <a href="http://elsewhere.test/art/3.html#x">other site</a> <a href="/about.html">about</a>
        <a href="javascript:void(0)">js</a> <a href="mailto:x@news.test">mail</a>""")
    assert urls(s.parse_list(page)) == ["http://news.test/art/1.html", "http://news.test/list_2.html",
                                        "http://elsewhere.test/art/3.html"]


def test_rss_and_atom_entries_before_since_are_skipped():
    s = spider(since="2024-03-01")
    rss = xml("http://news.test/rss.xml", b"""<?xml version="1.0"?><rss><channel>
        <item><link>http://news.test/art/1.html</link><pubDate>Tue, 05 Mar 2024 08:00:00 +0800</pubDate></item>
        <item><link>http://news.test/art/2.html</link><pubDate>Mon, 05 Feb 2024 08:00:00 +0800</pubDate></item>
        </channel></rss>""")
    atom = xml("http://news.test/atom.xml", b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
        <entry><link href="/art/3.html"/><updated>2024-03-02T00:00:00Z</updated></entry>
        <entry><link href="/art/4.html"/><updated>2023-12-31T00:00:00Z</updated></entry></feed>""")
    assert urls(s.parse_feed(rss)) == ["http://news.test/art/1.html"]
    assert urls(s.parse_feed(atom)) == ["http://news.test/art/3.html"]


def test_gzipped_sitemap_index_and_a_broken_sitemap():
    s = spider()
    index = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <sitemap><loc>http://news.test/sm-1.xml</loc></sitemap></sitemapindex>"""
    out = list(s.parse_sitemap(xml("http://news.test/sitemap.xml.gz", gzip.compress(index))))
    assert urls(out) == ["http://news.test/sm-1.xml"]
    broken = list(s.parse_sitemap(TextResponse("http://news.test/sm-2.xml", body=b"\x1f\x8bnot gzip")))
    assert len(broken) == 1 and isinstance(broken[0], Failure) and broken[0].url == "http://news.test/sm-2.xml"
    assert broken[0].reason.startswith("bad gzip sitemap")


def test_article_is_a_page_item_once_with_its_redirect_aliases():
    s = spider(source={"canonical_origin": "http://stable.invalid"})
    response = html("http://news.test/art/9.html", "<p>正文</p>", meta={"redirect_urls": ["http://news.test/art/8.html"]})
    first = list(s.parse_article(response))
    assert first == [Alias("http://stable.invalid/art/8.html", "http://stable.invalid/art/9.html"), first[1]]
    page = first[1]
    assert isinstance(page, Page) and page.url == "http://stable.invalid/art/9.html" and page.source == "unit"
    assert page.lang == "zh" and page.status == 200 and page.body == "<p>正文</p>".encode()
    again = list(s.parse_article(response))
    assert again == [first[0]], "the same page reached again is an alias at most, never a second page"


def test_errback_yields_a_failure_except_for_robots_refusals():
    from scrapy.exceptions import IgnoreRequest
    from scrapy.spidermiddlewares.httperror import HttpError

    s = spider()
    request = Request("http://news.test/art/5.html")
    response = HtmlResponse(request.url, status=503, body=b"", request=request)
    err = TwistedFailure(HttpError(response, "Ignoring non-200 response"))
    err.request = request  # type: ignore[attr-defined]
    assert list(s.failed(err)) == [Failure("http://news.test/art/5.html", "HttpError: HTTP 503")]
    robots = TwistedFailure(IgnoreRequest("Forbidden by robots.txt"))
    robots.request = request  # type: ignore[attr-defined]
    assert list(s.failed(robots)) == []


def test_spool_round_trip_keeps_bytes_and_skips_a_torn_line(tmp_path):
    path = tmp_path / "spool.jsonl"
    records = [Page("http://a/1", "s", "auto", 200, "text/html; charset=gbk", "2024-01-01T00:00:00+00:00",
                    "济南".encode("gbk") + bytes(range(256))),
               Failure("http://a/2", "HttpError: HTTP 500"), Alias("http://a/3", "http://a/1"),
               Summary("2024-01-01T00:00:00+00:00", "2024-01-01T00:01:00+00:00", 4, 1)]
    with SpoolWriter(path) as w:
        for r in records:
            w.write(r)
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"kind": "page", "url": "http://a/4", "bo')  # a crash mid-write
    assert list(read_spool(path)) == records
