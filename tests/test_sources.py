"""The sources file: the minimal contract loads; every mistake is one line naming file, line and field."""
from __future__ import annotations

import re

import pytest

from crawlers.sources import SourcesError, load_sources

GOOD = """\
sources:
  - name: city-news
    start_urls: ["https://news.example.cn/list/index.html"]
    article_pattern: 'https://news\\.example\\.cn/\\d{4}/\\d+\\.html$'
    follow_pattern: 'https://news\\.example\\.cn/list/index_\\d+\\.html$'
    lang: zh
"""


def write(tmp_path, text):
    p = tmp_path / "sources.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_minimal_contract_loads(tmp_path):
    [src] = load_sources(write(tmp_path, GOOD))
    assert src.name == "city-news" and src.lang == "zh"
    assert src.allowed_domains == ["news.example.cn"]
    assert src.politeness.autothrottle is True


def test_demo_sources_fill_in_the_address(demo_sources):
    [src] = load_sources(demo_sources, {"demo": "http://127.0.0.1:9"})
    assert src.start_urls[0] == "http://127.0.0.1:9/"


@pytest.mark.parametrize("old,new,expected", [
    ("    lang: zh\n", "    lang: fr\n", ":6: sources[0].lang: Input should be 'en', 'zh' or 'auto'"),
    ("\\d{4}/\\d+", "(\\d{4}/\\d+", ":4: sources[0].article_pattern: invalid regular expression"),
    ("https://news.example.cn/list/index.html", "ftp://news.example.cn/", ":3: sources[0].start_urls: Value error, not an http(s) URL") ,
    ("    lang: zh\n", "    lang: zh\n    colour: red\n", ":7: sources[0].colour: Extra inputs are not permitted"),
    ("    article_pattern", "    article_patern", "sources[0].article_pattern: Field required"),
])
def test_errors_name_file_line_and_field(tmp_path, old, new, expected):
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(SourcesError) as err:
        load_sources(path)
    msg = str(err.value)
    assert msg.startswith(str(path))
    assert expected.replace("Value error, ", "") in msg
    assert all(line.startswith(str(path)) for line in msg.splitlines()), "each mistake is one line naming the file"


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(SourcesError, match=r"sources.yaml:\d+: not valid YAML"):
        load_sources(write(tmp_path, "sources:\n  - name: [unclosed\n"))
    with pytest.raises(SourcesError, match="cannot read"):
        load_sources(tmp_path / "missing.yaml")
    with pytest.raises(SourcesError, match="expected a mapping"):
        load_sources(write(tmp_path, "- just a list\n"))


def test_extended_fields_and_their_errors(tmp_path):
    extended = GOOD + """\
    feeds: ["https://news.example.cn/rss.xml"]
    sitemaps: ["https://news.example.cn/sitemap.xml"]
    selectors: {title: "h1.title", date: "//span[@class='time']/text()", body: "div.article"}
    keywords: [产教融合]
    politeness: {download_delay: 2, autothrottle: true, concurrency_per_domain: 1, timeout_s: 20, retries: 3}
"""
    [src] = load_sources(write(tmp_path, extended))
    assert src.feeds and src.sitemaps and src.selectors.body == "div.article" and src.politeness.retries == 3
    for bad, expected in [
        (extended.replace("https://news.example.cn/rss.xml", "file:///etc/passwd"), "sources[0].feeds: not an http(s) URL"),
        (extended.replace("div.article", "div[[["), "sources[0].selectors.body: invalid selector"),
        (extended.replace("retries: 3", "retries: -1"), "sources[0].politeness.retries"),
    ]:
        with pytest.raises(SourcesError, match=re.escape(expected)):
            load_sources(write(tmp_path, bad))


def test_bundled_real_sources_validate():
    from pathlib import Path

    import crawlers

    cfg = load_sources(Path(crawlers.__file__).parent / "data" / "sources_cn.yaml")
    chinese = [s for s in cfg if s.lang == "zh"]
    assert len(chinese) >= 6 and all(s.untested for s in cfg)
    assert all(s.keywords for s in cfg)


def test_polite_defaults():
    from crawlers import settings

    assert settings.ROBOTSTXT_OBEY and settings.AUTOTHROTTLE_ENABLED
    assert settings.CONCURRENT_REQUESTS_PER_DOMAIN <= 2 and settings.DOWNLOAD_MAXSIZE <= 10 * 1024 * 1024
    assert 429 in settings.RETRY_HTTP_CODES and 503 in settings.RETRY_HTTP_CODES
