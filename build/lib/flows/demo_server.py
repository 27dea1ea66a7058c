"""The bundled demo news site, served on 127.0.0.1 by the demo command and the tests.

Pages are rendered from flows/demo_site/articles.yaml into the chrome a real
city portal has (navigation, breadcrumbs, a source/date line, share widgets,
a "related articles" block about other cities, a footer), with paginated list
pages, an RSS feed, robots.txt, and a disallowed /admin/ area that a polite
crawler must never fetch. Some Chinese pages are served as GBK/GB2312.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from importlib import resources
from typing import Any

import yaml

from flows.loopback import LoopbackSite

PER_PAGE = 4


def load_site() -> dict[str, Any]:
    text = resources.files("flows").joinpath("demo_site", "articles.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def article_path(a: dict[str, Any]) -> str:
    y, m, _ = a["date"].split("-")
    return f"/{a['lang']}/{y}/{m}/{a['id']}.html"


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _chrome(title: str, lang: str, charset: str, main: str, site: str) -> str:
    zh = lang == "zh"
    nav = ("<a href='/'>首页</a> <a href='/zh/list_1.html'>要闻</a> <a href='/en/list_1.html'>English</a> <a href='/rss.xml'>RSS</a>"
           if zh else "<a href='/'>Home</a> <a href='/en/list_1.html'>News</a> <a href='/zh/list_1.html'>中文</a> <a href='/rss.xml'>RSS</a>")
    footer = ("<p>版权所有 © 2024 区域教育报（演示） 联系电话：0531-12345678 鲁ICP备12345678号</p><p><a href='/admin/2024/01/art_9999.html'>管理</a></p>"
              if zh else "<p>Copyright © 2024 Regional Education Daily (demo). Tel: 0531-12345678</p><p><a href='/admin/2024/01/art_9999.html'>Admin</a></p>")
    return (f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='{charset}'><title>{_e(title)} - {_e(site)}</title></head><body>"
            f"<header><div class='logo'>{_e(site)}</div><nav class='menu'>{nav}</nav></header>{main}"
            f"<footer class='footer'>{footer}</footer></body></html>")


def render_article(a: dict[str, Any], site: dict[str, Any], others: list[dict[str, Any]]) -> str:
    zh = a["lang"] == "zh"
    crumbs = "<div class='breadcrumb'><a href='/'>首页</a> &gt; <a href='/zh/list_1.html'>要闻</a> &gt; 正文</div>" if zh else \
        "<div class='breadcrumb'><a href='/'>Home</a> &gt; <a href='/en/list_1.html'>News</a> &gt; Article</div>"
    date_line = (f"<div class='info'>来源：{_e(a['source'])}　发布时间：{a['date']} 09:30　浏览次数：1024</div>" if zh else
                 f"<div class='info'>Source: {_e(a['source'])} Time:{a['date'].replace('-', '.')} Views: 2048</div>")
    share = "<div class='share'>分享到：<a href='#'>微信</a> <a href='#'>微博</a> <a href='#'>QQ空间</a></div>" if zh else \
        "<div class='share'>Share to: <a href='#'>WeChat</a> <a href='#'>Weibo</a> <a href='#'>Twitter</a></div>"
    paras = "".join(f"<p>{_e(p)}</p>" for p in a["body"])
    rel_items = [f"<li><a href='{article_path(o)}'>{_e(o['title'])}</a></li>" for o in others]
    rel_items += [f"<li><a href='#'>{_e(r['title'])}</a><p>{_e(r['teaser'])}</p></li>" for r in site["related"]]
    related = f"<div class='related'><h3>{'相关阅读' if zh else 'Related articles'}</h3><ul>{''.join(rel_items)}</ul></div>"
    main = (f"{crumbs}<article><h1>{_e(a['title'])}</h1>{date_line}<div class='content'>{paras}</div>"
            f"<p class='editor'>{'责任编辑：王明' if zh else 'Editor: Li Ming'}</p></article>{share}{related}")
    return _chrome(a["title"], a["lang"], a["encoding"], main, site["site_name"])


def render_list(lang: str, page: int, items: list[dict[str, Any]], pages: int, site: dict[str, Any]) -> str:
    zh = lang == "zh"
    rows = "".join(f"<li><a href='{article_path(a)}'>{_e(a['title'])}</a> <span>{a['date']}</span></li>" for a in items)
    pager = []
    if page > 1:
        pager.append(f"<a href='/{lang}/list_{page - 1}.html'>{'上一页' if zh else 'Previous'}</a>")
    if page < pages:
        pager.append(f"<a href='/{lang}/list_{page + 1}.html'>{'下一页' if zh else 'Next'}</a>")
    main = f"<ul class='list'>{rows}</ul><div class='pager'>{' '.join(pager)}</div>"
    return _chrome("要闻" if zh else "News", lang, "utf-8", main, site["site_name"])


def render_rss(articles: list[dict[str, Any]], base: str) -> str:
    items = []
    for a in articles:
        when = datetime.fromisoformat(a["date"]).replace(hour=9, minute=30, tzinfo=UTC)
        items.append(f"<item><title>{_e(a['title'])}</title><link>{base}{article_path(a)}</link>"
                     f"<pubDate>{format_datetime(when)}</pubDate></item>")
    return ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Regional Education Daily (demo)</title>"
            f"<link>{base}/</link><description>demo feed</description>{''.join(items)}</channel></rss>")


@dataclass
class Page:
    body: bytes
    content_type: str


def build_pages(base: str) -> dict[str, Page]:
    site = load_site()
    arts = site["articles"]
    pages: dict[str, Page] = {}
    for a in arts:
        same = [o for o in arts if o["lang"] == a["lang"] and o["id"] != a["id"]][:3]
        pages[article_path(a)] = Page(render_article(a, site, same).encode(a["encoding"], "xmlcharrefreplace"),
                                      f"text/html; charset={a['encoding']}")
    for lang in ("en", "zh"):
        items = sorted((a for a in arts if a["lang"] == lang), key=lambda a: a["date"], reverse=True)
        n = max(1, -(-len(items) // PER_PAGE))
        for p in range(1, n + 1):
            html_text = render_list(lang, p, items[(p - 1) * PER_PAGE:p * PER_PAGE], n, site)
            pages[f"/{lang}/list_{p}.html"] = Page(html_text.encode("utf-8"), "text/html; charset=utf-8")
    home = _chrome(site["site_name"], "en", "utf-8",
                   "<ul><li><a href='/en/list_1.html'>News</a></li><li><a href='/zh/list_1.html'>要闻</a></li></ul>", site["site_name"])
    pages["/"] = Page(home.encode("utf-8"), "text/html; charset=utf-8")
    pages["/rss.xml"] = Page(render_rss(arts, base).encode("utf-8"), "application/rss+xml; charset=utf-8")
    pages["/robots.txt"] = Page(b"User-agent: *\nDisallow: /admin/\n", "text/plain")
    secret = {"id": "art_9999", "lang": "en", "encoding": "utf-8", "date": "2024-01-01", "source": "Admin",
              "title": "Harbin internal draft", "body": ["Harbin has 999 draft enterprises. This page is disallowed by robots.txt."]}
    pages["/admin/2024/01/art_9999.html"] = Page(render_article(secret, site, []).encode("utf-8"), "text/html; charset=utf-8")
    return pages


class DemoSite(LoopbackSite):
    """Serve the demo site on 127.0.0.1 on a free port; use as a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.pages = build_pages(self.url)

    def handle(self, h: Any, path: str) -> None:
        page = self.pages.get(path)
        if page is None:
            h.send_error(404)
            return
        self.respond(h, 200, page.body, page.content_type)
