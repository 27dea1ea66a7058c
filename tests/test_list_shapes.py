"""Column pages as real CMSs publish them (tests/cms_sites.py): every family crawled twice by the run flow, list
pages bounded, and every bundled source of crawlers/data/sources_cn.yaml replayed against its family's replica."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import pytest
import yaml
from cms_sites import CmsSite, Column

from crawlers.sources import load_sources
from flows import work

ROOT = Path(__file__).resolve().parent.parent
FAST = "    politeness: {download_delay: 0, autothrottle: false, concurrency_per_domain: 8}\n"


def families() -> list[Column]:
    return [
        Column("hanweb", "/col/col1861/index.html", [f"/art/2024/3/{d}/art_1861_{100 + d}.html" for d in range(1, 12)],
               per_page=2),
        Column("trs", "/ywdt/zwyw/index.shtml", [f"/ywdt/zwyw/202403/t202403{d:02d}_{500 + d}.shtml" for d in range(1, 9)]),
        Column("html", "/news/list.html", [f"/news/2024/0{1 + d % 9}/{700 + d}.html" for d in range(1, 8)]),
        Column("json", "/xw/list.shtml", [f"/xw/2024-03/{d:02d}/content_{900 + d}.shtml" for d in range(1, 6)], per_page=2),
    ]


def sources_yaml(site: CmsSite, cols: list[Column]) -> str:
    patterns = {"hanweb": r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.html$", "trs": r"/t\d{8}_\d+\.shtml$",
                "html": r"/news/\d{4}/\d\d/\d+\.html$", "json": r"/content_\d+\.shtml$"}
    out = "sources:\n"
    for c in cols:
        out += f"  - name: {c.family}-column\n    start_urls: ['{site.url}{c.list_path}']\n"
        out += f"    article_pattern: '{patterns[c.family]}'\n" + FAST
        if c.family == "json":
            out += f"    json_list: {{endpoint: '{site.url}/api/list?page={{page}}', items: data.list, url: link, date: pubDate}}\n"
    return out


def count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


@pytest.mark.slow
def test_every_family_is_crawled_twice_by_the_run_flow(prefect_api, tmp_path):
    from flows.flows import run_flow

    cols = families()
    total = sum(len(c.articles) for c in cols)
    with CmsSite(cols) as site:
        sources = tmp_path / "sources.yaml"
        sources.write_text(sources_yaml(site, cols), encoding="utf-8")
        db = tmp_path / "cms.duckdb"
        first = run_flow(str(sources), str(db))
        assert first["new"] == total, f"every article of every family: {first}"
        assert sorted(site.article_requests()) == sorted(a for c in cols for a in c.articles), "each fetched once"
        assert site.posts and all(p["columnid"] == ["1861"] and p["unitid"] == ["4876"] for p in site.posts), \
            "Hanweb's later records come from dataproxy.jsp with the column's ajaxParam"
        assert count(db, "SELECT count(*) FROM articles") == total
        assert count(db, "SELECT count(*) FROM facts WHERE metric = 'training_bases'") >= total

        site.requests.clear()
        site.posts.clear()
        second = run_flow(str(sources), str(db))
        assert second["new"] == 0 and site.article_requests() == [], "nothing fetched again"
        assert sorted(site.list_requests()) == sorted(["/col/col1861/index.html", "/ywdt/zwyw/index.shtml",
                                                       "/news/list.html", "/xw/list.shtml", "/api/list"]), \
            "each column's first page only: it brought nothing new, so paging stopped"
        assert count(db, "SELECT count(*) FROM articles") == total


def test_list_pages_are_bounded_per_source(tmp_path):
    col = Column("html", "/news/list.html", [f"/news/2024/01/{d}.html" for d in range(1, 61)], per_page=2)
    with CmsSite([col]) as site:
        path = tmp_path / "sources.yaml"
        path.write_text(f"sources:\n  - name: long\n    start_urls: ['{site.url}/news/list.html']\n"
                        f"    article_pattern: '/news/\\d{{4}}/\\d\\d/\\d+\\.html$'\n    max_list_pages: 4\n" + FAST,
                        encoding="utf-8")
        result = work.crawl(load_sources(path), tmp_path / "work", set())
        lists = [p for p in site.list_requests() if p.startswith("/news/list")]
    assert len(lists) == 4, lists
    assert len(result.pages) == 8, "the articles of the four list pages followed"


# Article paths the replica serves for each bundled source, in that source's own URL shape.
BUNDLED_ARTICLES = {
    "jinan-gov": lambda n: f"/art/2024/3/{n}/art_1861_{4000 + n}.html",
    "yantai-gov": lambda n: f"/art/2024/3/{n}/art_11958_{4000 + n}.html",
    "hangzhou-gov": lambda n: f"/art/2024/3/{n}/art_812262_{4000 + n}.html",
    "ningbo-gov": lambda n: f"/art/2024/3/{n}/art_1229099769_{4000 + n}.html",
    "zibo-gov": lambda n: f"/art/2024/3/{n}/art_1588_{4000 + n}.html",
    "qingdao-gov": lambda n: f"/ywdt/zwyw/202403/t202403{n:02d}_{4000 + n}.shtml",
    "wuxi-gov": lambda n: f"/doc/2024/03/{n:02d}/{4000 + n}.shtml",
    "chongqing-gov": lambda n: f"/ywdt/jrcq/202403/t202403{n:02d}_{4000 + n}.html",
    "changsha-gov": lambda n: f"/szf/ywdt/zwdt/202403/t202403{n:02d}_{4000 + n}.html",
    "shenzhen-gov": lambda n: f"/cn/xxgk/zfxxgj/zwdt/content/post_{4000 + n}.html",
    "guangzhou-gov": lambda n: f"/xw/gzyw/content/post_{4000 + n}.html",
    "iqilu-shandong": lambda n: f"/shandong/shandonggedi/202403{n:02d}/{4000 + n}.shtml",
    "chinadaily-regional": lambda n: f"/a/202403/{n:02d}/WS65e6b1a2a31082fc043bc{n:03d}.html",
    "chengdu-gov": lambda n: f"/cdsrmzf/c169610/2024-03/{n:02d}/content_{4000 + n:x}.shtml",
}


@pytest.mark.slow
def test_every_bundled_source_is_replayed_against_its_family(tmp_path):
    config = yaml.safe_load((ROOT / "crawlers" / "data" / "sources_cn.yaml").read_text(encoding="utf-8"))
    entries = config["sources"]
    assert len({e["name"].split("-")[0] for e in entries if e.get("lang") == "zh"}) >= 12, "at least 12 cities"
    assert {e["name"] for e in entries} == set(BUNDLED_ARTICLES), "a new bundled source needs its replica paths here"
    for entry in entries:
        assert entry.get("family") in ("hanweb", "trs", "html", "json"), f"{entry['name']}: which CMS family?"
        start = urlsplit(entry["start_urls"][0])
        origin = f"{start.scheme}://{start.netloc}"
        articles = [BUNDLED_ARTICLES[entry["name"]](n) for n in range(1, 8)]
        col = Column(entry["family"], start.path, articles, ext=start.path.rsplit(".", 1)[-1] if "." in start.path else "shtml",
                     column_id=start.path.split("/col/col")[-1].split("/")[0] if "/col/col" in start.path else "1861")
        with CmsSite([col]) as site:
            replayed = {k: v for k, v in entry.items() if k not in ("untested", "family")}
            replayed["start_urls"] = [site.url + start.path + (f"?{start.query}" if start.query else "")]
            replayed["canonical_origin"] = origin
            if replayed.get("json_list"):
                replayed["json_list"] = {**replayed["json_list"], "endpoint": f"{site.url}/api/list?page={{page}}"}
            replayed["politeness"] = {"download_delay": 0, "autothrottle": False, "concurrency_per_domain": 8}
            path = tmp_path / f"{entry['name']}.yaml"
            path.write_text(yaml.safe_dump({"sources": [replayed]}, allow_unicode=True), encoding="utf-8")
            result = work.crawl(load_sources(path), tmp_path / "work", set())
        stored = sorted(p.url for p in result.pages)
        assert stored == sorted(origin + a for a in articles), f"{entry['name']} ({entry['family']}): {stored}"
