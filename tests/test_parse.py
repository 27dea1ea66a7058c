"""Page parsing shared by the crawler and `cityfacts parse`: decoding, main text, date."""
from __future__ import annotations

import json
import subprocess

import pytest
from conftest import CLI_PROCESS

from crawlers.parse import decode_html, parse_page
from flows.demo_server import build_pages

PAGES = build_pages("http://127.0.0.1:1")


def test_gbk_page_decodes_from_its_header_and_meta():
    page = PAGES["/zh/2024/03/content_0201.html"]
    assert "gbk" in page.content_type
    parsed = parse_page(page.body, "http://x/zh/2024/03/content_0201.html", page.content_type)
    assert parsed.title == "济南市产教融合型企业达到56家"
    assert parsed.published == "2024-03-25"
    assert "争取中央预算内资金4200万元" in parsed.text


def test_lying_header_is_overruled_by_the_bytes():
    body = "<html><head><title>测试</title></head><body><p>青岛市累计培育产教融合型企业120家。</p></body></html>".encode("gbk")
    text, enc = decode_html(body, "text/html; charset=utf-8")
    assert "青岛市累计培育产教融合型企业120家" in text
    assert enc.lower() in ("gbk", "gb18030", "gb2312")


def test_page_chrome_and_related_block_stay_out_of_the_text():
    page = PAGES["/en/2024/03/art_0101.html"]
    parsed = parse_page(page.body, "http://x/en/2024/03/art_0101.html", page.content_type)
    assert "2,860 training bases" in parsed.text
    for chrome in ("Share to", "Copyright", "Related articles", "Yichang", "Home"):
        assert chrome not in parsed.text
    assert parsed.published == "2024-03-12"


def test_parse_cli_contract(tmp_path):
    paths = []
    for key in ("/zh/2024/05/content_0203.html", "/en/2024/06/art_0104.html"):
        p = tmp_path / key.rsplit("/", 1)[1]
        p.write_bytes(PAGES[key].body)
        paths.append(str(p))
    out = subprocess.run([*CLI_PROCESS, "parse", *paths, "--json"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    recs = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["path"] for r in recs] == paths
    assert set(recs[0]) >= {"path", "url", "title", "published", "lang", "text"}
    assert recs[0]["lang"] == "zh" and "43平方公里" in recs[0]["text"]
    assert recs[1]["lang"] == "en" and recs[1]["published"] == "2024-06-14"


def test_utf8_page_declared_as_gbk_is_read_as_utf8():
    body = "<html><head><meta charset='gbk'></head><body><p>烟台市建成实训基地36个。</p></body></html>".encode()
    text, enc = decode_html(body, "text/html; charset=gbk")
    assert "烟台市建成实训基地36个" in text and enc == "utf-8"


def test_header_and_meta_disagree_latin1_header():
    body = "<html><head><meta charset='gb2312'></head><body><p>无锡市投入资金2.3亿元。</p></body></html>".encode("gbk")
    text, _ = decode_html(body, "text/html; charset=ISO-8859-1")
    assert "无锡市投入资金2.3亿元" in text


def test_source_selectors_take_precedence():
    html = ("<html><body><div class='crumb'>首页 &gt; 要闻</div><h1>网站名称</h1><div class='tt'>淄博市新建产业学院</div>"
            "<span class='time'>发布日期：2024年06月18日</span><div class='art'><p>淄博市新建产业学院12个。</p>"
            "<p>校企共建实训基地40个。</p></div><div class='side'><p>热点：德州市新增企业99家。</p></div></body></html>").encode()
    page = parse_page(html, "http://x/1.html", "text/html; charset=utf-8",
                      {"title": "div.tt", "date": "//span[@class='time']/text()", "body": "div.art"})
    assert page.title == "淄博市新建产业学院"
    assert page.published == "2024-06-18"
    assert page.text == "淄博市新建产业学院12个。\n校企共建实训基地40个。"


def _page(head: str, body: str) -> bytes:
    return f"<html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>".encode()


COPYRIGHT = "<div class='foot'>版权所有 © 2026 某市人民政府 发布日期：2026年01月01日 ICP备12345678号</div>"
ARTICLE = "<p>威海市新建实训基地12个，校企共建专业30个，带动就业1200人。</p>" * 3


@pytest.mark.parametrize("head,body,url,day,source", [
    ("<meta name='PubDate' content='2023-10-16 09:30'>", "<h1>标题</h1>" + ARTICLE + COPYRIGHT, None, "2023-10-16", "meta"),
    ("", "<h1>威海市新建实训基地</h1><div>2019-06-12 09:15更新 来源：威海日报</div>" + ARTICLE + COPYRIGHT, None,
     "2019-06-12", "line"),
    ("", "<h1>威海市新建实训基地</h1><div>时间：2018年3月7日10:42 字号：大 中 小</div>" + ARTICLE, None, "2018-03-07", "line"),
    ("", "<h1>Weihai opens 12 bases</h1><p>Author: staff | Time: 2022.07.29</p><p>Weihai opened 12 bases.</p>", None,
     "2022-07-29", "line"),
    ("", "<h1>标题</h1>" + ARTICLE + COPYRIGHT, "http://gov.example/art/2021/3/9/art_1_2.html", "2021-03-09", "url"),
    ("", "<h1>标题</h1>" + ARTICLE + COPYRIGHT, "http://gov.example/col/t20240302_123.html", "2024-03-02", "url"),
])
def test_dates_from_the_page_itself(head, body, url, day, source):
    """The date beside the title, the CMS's meta tag or the URL; never the footer's copyright line."""
    page = parse_page(_page(head, body), url)
    assert (page.published, page.date_from) == (day, source)


def test_a_footer_date_is_not_the_page_date():
    page = parse_page(_page("", "<h1>标题</h1>" + ARTICLE + COPYRIGHT), "http://x/a.html")
    assert page.published != "2026-01-01"


MALFORMED = """<html><head><title>威海市新建实训基地12个 - 威海市人民政府</title></head><body>
<div class="nav"><a href="/">首页</a> <a href="/x">政务公开</a>
<h1>威海市新建实训基地12个
<div class="info">发布时间：2024-05-06 来源：威海日报
<p>今年以来，威海市新建实训基地12个，校企共建专业30个，带动就业1200人。
<p>全市职业院校与企业合作，累计培育产教融合型企业45家，其中省级18家。
<div class="foot">版权所有 威海市人民政府
</body></html>"""


def test_a_malformed_page_keeps_its_text_and_title():
    """Unclosed tags and the body inside the <h1>: a reader sees the text, so the page is not stored empty."""
    page = parse_page(MALFORMED.encode(), "http://gov.example/art/2024/5/6/art_1_2.html")
    assert "威海市新建实训基地12个，校企共建专业30个" in page.text
    assert "累计培育产教融合型企业45家" in page.text
    assert page.title == "威海市新建实训基地12个"
    assert page.published == "2024-05-06"
    assert page.text_from != "trafilatura" and "版权所有" not in page.text


def test_a_cms_body_container_is_a_fallback():
    body = ("<html><body><div id='zoom'><span>威海市新建实训基地12个，校企共建专业30个，带动就业1200人。</span>"
            "<span>全市累计培育产教融合型企业45家，其中省级18家，国家级3家，带动企业投入资金2.5亿元。</span></div>"
            + "".join(f"<div><a href='/n{i}'>导航链接{i}号栏目</a></div>" for i in range(40)) + "</body></html>")
    page = parse_page(body.encode(), "http://gov.example/a.html")
    assert "全市累计培育产教融合型企业45家" in page.text
    assert "导航链接" not in page.text


def test_layout_tables_go_and_data_tables_stay():
    nav = "".join(f"<td><a href='/c{i}'>栏目{i}</a></td>" for i in range(8))
    article = "今年以来，威海市新建实训基地12个，校企共建专业30个，带动就业1200人，累计培育产教融合型企业45家，其中省级18家。" * 2
    data = "<table><tr><th>区县</th><th>实训基地</th></tr><tr><td>环翠区</td><td>12个</td></tr><tr><td>文登区</td><td>9个</td></tr></table>"
    body = (f"<html><body><table><tr>{nav}</tr><tr><td colspan=8><h1>威海市产教融合</h1><p>{article}</p>{data}"
            f"<p>{article}</p></td></tr></table></body></html>")
    page = parse_page(body.encode(), "http://gov.example/a.html")
    assert "新建实训基地12个" in page.text
    assert "栏目3" not in page.text
    assert "文登区" in page.text and "9个" in page.text
