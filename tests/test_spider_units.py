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
    assert urls(s.parse_list(page)) == ["http://news.test/art/1.html", "http://elsewhere.test/art/3.html",
                                        "http://news.test/list_2.html"]


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


def test_a_list_page_with_nothing_new_is_the_last_one_followed():
    s = spider(seen={"http://news.test/art/1.html"})
    page = html("http://news.test/list.html", '<a href="/art/1.html">stored</a> <a href="/list_2.html">next</a>')
    assert urls(s.parse_list(page)) == [], "every article on it is stored: paging stops here"
    s = spider(seen={"http://news.test/art/1.html"}, source={"stop_paging_when_seen": False})
    assert urls(s.parse_list(page)) == ["http://news.test/list_2.html"]


def test_list_pages_are_bounded_per_column():
    s = spider(source={"max_list_pages": 3})
    body = "".join(f'<a href="/art/{i}.html">new</a> <a href="/list_{i}.html">{i}</a>' for i in range(2, 7))
    s._list_urls["http://news.test/list.html"] = {"http://news.test/list.html"}
    got = urls(s.parse_list(html("http://news.test/list.html", body, meta={"column": "http://news.test/list.html"})))
    assert [u for u in got if "/list_" in u] == ["http://news.test/list_2.html", "http://news.test/list_3.html"], \
        "the start page and two more make three"


def test_pagers_by_text_index_files_and_area_links():
    s = spider(source={"follow_pattern": None})
    page = html("http://news.test/col/list.html", """
        <map><area href="/art/5.html" shape="rect"></map> <a href="list_2.html">下一页</a>
        <a href="/col/index_3.html">3</a> <a href="/other/list_9.html">下一页</a> <a href="/col/about.html">关于</a>""")
    assert urls(s.parse_list(page)) == ["http://news.test/art/5.html", "http://news.test/col/list_2.html",
                                        "http://news.test/col/index_3.html"]


HANWEB = """<html><body><div id="c"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=3&columnid=1861"></a>]]></nextgroup>
<recordset><record><![CDATA[<li><a href="/art/2024/3/5/art_1861_1.html" target="_blank">一</a><span>2024-03-05</span></li>]]></record>
<record><![CDATA[<li><a href='/art/2024/3/4/art_1861_2.html'>二</a></li>]]></record></recordset></datastore></script></div>
<script>jpage({ url: '/module/web/jpage/dataproxy.jsp', totalRecord: 9, perPage: 2, ajaxParam: {col: 1,
 appid: 1, webid: 3, path: '/', columnid: 1861, sourceContentType: 1, unitid: 4876, webname: '某市', permissiontype: 0}});
</script></body></html>"""


def test_hanweb_records_and_dataproxy_paging():
    s = spider(source={"article_pattern": r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$", "follow_pattern": None})
    out = list(s.parse_list(html("http://gov.test/col/col1861/index.html", HANWEB)))
    assert urls(out)[:2] == ["http://gov.test/art/2024/3/5/art_1861_1.html", "http://gov.test/art/2024/3/4/art_1861_2.html"]
    proxy = out[-1]
    assert proxy.method == "POST" and "startrecord=3&endrecord=8&perpage=2" in proxy.url
    form = dict(pair.split("=", 1) for pair in proxy.body.decode().split("&"))
    assert form["columnid"] == "1861" and form["unitid"] == "4876" and form["webid"] == "3"
    answer = XmlResponse(proxy.url, body=("<datastore><totalrecord>9</totalrecord><recordset>" + "".join(
        f"<record><![CDATA[<li><a href='/art/2024/3/1/art_1861_{i}.html'>x</a></li>]]></record>" for i in range(3, 9))
        + "</recordset></datastore>").encode(), request=proxy)
    more = list(s.parse_hanweb(answer))
    assert len([u for u in urls(more) if "/art/" in u]) == 6
    assert "startrecord=9&endrecord=14" in urls(more)[-1], "record 9 of 9 is still to come"


def test_trs_create_page_html_paging_one_page_at_a_time():
    s = spider(source={"article_pattern": r"/t\d{8}_\d+\.shtml$", "follow_pattern": None})
    body = ('<a href="./202403/t20240305_11.shtml">一</a><script>createPageHTML(4, 0, "index", "shtml");</script>')
    out = urls(s.parse_list(html("http://gov.test/ywdt/index.shtml", body)))
    assert out == ["http://gov.test/ywdt/202403/t20240305_11.shtml", "http://gov.test/ywdt/index_1.shtml"]


def test_json_list_in_an_endpoint_and_a_script_variable():
    s = spider(source={"article_pattern": r"/news/\d+\.html$", "follow_pattern": None, "start_urls": ["http://news.test/"],
                       "json_list": {"endpoint": "http://news.test/api/list?page={page}", "items": "data.list",
                                     "url": "link", "date": "pubDate"}}, since="2024-03-01")
    req = s._json_page(1, {})
    payload = b'{"data": {"list": [{"link": "/news/1.html", "pubDate": "2024-03-09"}, {"link": "/news/2.html", "pubDate": "2023-01-01"}]}}'
    out = urls(s.parse_json(TextResponse(req.url, body=payload, encoding="utf-8", request=req)))
    assert out == ["http://news.test/news/1.html", "http://news.test/api/list?page=2"], "old item skipped, next page asked"
    s = spider(source={"article_pattern": r"/news/\d+\.html$", "json_list": {"variable": "newsList"}})
    page = html("http://news.test/", '<script>var newsList = [{"url": "/news/7.html"}, {"url": "/news/8.html"}];</script>')
    assert urls(s.parse_list(page)) == ["http://news.test/news/7.html", "http://news.test/news/8.html"]
