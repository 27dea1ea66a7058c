"""Loopback replicas of how Chinese government and news sites publish their column pages, written for the tests.

Each column is one CMS family with the real URL shapes and list markup of that family (the report texts are
fictional, written here):
- hanweb: /col/colNNNN/index.html with records as CDATA in <script type="text/xml"><datastore>, a jpage({...})
  call, and later records only from POST /module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=;
- trs: a directory index (index.shtml) whose further pages index_1.shtml … exist only in createPageHTML(…);
- html: a plain list with 下一页 / page-number links to list_N.html;
- json: a page that loads its list from /api/list?page=N.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flows.loopback import LoopbackSite

CITIES = ["威海市", "潍坊市", "临沂市", "淄博市", "德州市", "聊城市", "滨州市", "菏泽市", "日照市"]


def report(n: int, city: str | None = None) -> tuple[str, str, str]:
    """(title, date, body) of a fictional report; the figures vary with n."""
    city = city or CITIES[n % len(CITIES)]
    day = f"2024-{(n % 9) + 1:02d}-{(n % 27) + 1:02d}"
    body = (f"今年以来，{city}新建实训基地{10 + n}个，校企共建专业{20 + n}个。"
            f"全市累计培育产教融合型企业{40 + n}家，其中省级{5 + n % 7}家。")
    return f"{city}推进产教融合（{n}）", day, body


@dataclass
class Column:
    family: str  # hanweb | trs | html | json
    list_path: str  # where the column's first page is
    articles: list[str]  # article paths, newest first
    per_page: int = 3
    column_id: str = "1861"
    ext: str = "shtml"  # a TRS column's page extension
    served: dict[str, int] = field(default_factory=dict)


def article_html(path: str, n: int) -> bytes:
    title, day, body = report(n)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}_某市人民政府</title>"
            f"<meta name='PubDate' content='{day} 09:00'></head><body><div class='nav'><a href='/'>首页</a></div>"
            f"<h1>{title}</h1><div class='info'>发布时间：{day} 来源：某市日报</div>"
            f"<div id='zoom'><p>{body}</p><p>{body}</p></div><div class='foot'>版权所有 某市人民政府</div>"
            f"</body></html>").encode()


def _page(title: str, inner: str) -> bytes:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>{inner}</body></html>".encode()


class CmsSite(LoopbackSite):
    def __init__(self, columns: list[Column]) -> None:
        super().__init__()
        self.columns = columns
        self.article_index = {a: i for c in columns for i, a in enumerate(c.articles)}
        self.posts: list[dict[str, list[str]]] = []

    def article_requests(self) -> list[str]:
        return [p for p in self.requests if p in self.article_index]

    def list_requests(self) -> list[str]:
        return [p for p in self.requests if p not in self.article_index and p != "/robots.txt"]

    def handle(self, h: Any, path: str) -> None:
        if path == "/robots.txt":
            return self.respond(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path in self.article_index:
            return self.respond(h, 200, article_html(path, self.article_index[path] + 100 * self._col(path)))
        query = parse_qs(urlsplit(h.path).query)
        for c in self.columns:
            body = getattr(self, f"_{c.family}")(c, path, query, h)
            if body is not None:
                ctype = "application/json" if c.family == "json" and path.startswith("/api/") else \
                    ("text/xml; charset=utf-8" if path.endswith("dataproxy.jsp") else "text/html; charset=utf-8")
                return self.respond(h, 200, body, ctype)
        return self.respond(h, 404, b"not found")

    def _col(self, article: str) -> int:
        return next(i for i, c in enumerate(self.columns) if article in c.articles)

    # Hanweb: the first page holds three pages' records; later records come only from dataproxy.jsp.
    def _hanweb(self, c: Column, path: str, query: dict[str, list[str]], h: Any) -> bytes | None:
        def records(items: list[str]) -> str:
            return "".join(f"<record><![CDATA[<li><a href=\"{a}\" target=\"_blank\" title=\"报道\">报道</a>"
                           f"<span>2024-03-05</span></li>]]></record>" for a in items)

        if path == c.list_path:
            first = c.articles[:3 * c.per_page]
            inner = (f"<div id='{c.column_id}'><script type='text/xml'><datastore><nextgroup><![CDATA[<a href=\""
                     f"/module/web/jpage/dataproxy.jsp?page=1&webid=3&path=/&columnid={c.column_id}\"></a>]]></nextgroup>"
                     f"<recordset>{records(first)}</recordset></datastore></script></div>"
                     f"<script>$(function(){{ jpage({{ url: '/module/web/jpage/dataproxy.jsp', totalRecord: {len(c.articles)}, "
                     f"perPage: {c.per_page}, ajaxParam: {{col: 1, appid: 1, webid: 3, path: '/', columnid: {c.column_id}, "
                     f"sourceContentType: 1, unitid: 4876, webname: '某市人民政府', permissiontype: 0}} }}); }});</script>")
            return _page("工作动态", inner)
        if path == "/module/web/jpage/dataproxy.jsp" and h.command == "POST":
            form = parse_qs(getattr(h, "form_body", ""))
            if form.get("columnid", [""])[0] != c.column_id:
                return None
            self.posts.append(form)
            start, end = int(query["startrecord"][0]), int(query["endrecord"][0])
            return (f"<?xml version='1.0' encoding='utf-8'?><datastore><nextgroup><![CDATA[]]></nextgroup>"
                    f"<totalrecord>{len(c.articles)}</totalrecord><totalpage>{-(-len(c.articles) // c.per_page)}</totalpage>"
                    f"<recordset>{records(c.articles[start - 1:end])}</recordset></datastore>").encode()
        return None

    # TRS WCM: index.shtml, then index_1.shtml … named only by createPageHTML(count, current, "index", "shtml").
    def _trs(self, c: Column, path: str, query: dict[str, list[str]], h: Any) -> bytes | None:
        base = c.list_path if c.list_path.endswith("/") else c.list_path.rsplit("/", 1)[0] + "/"
        pages = -(-len(c.articles) // c.per_page)
        if path in (c.list_path, base, base + f"index.{c.ext}"):
            k = 0
        elif path.startswith(base + "index_") and path.endswith("." + c.ext):
            k = int(path[len(base) + 6:-len(c.ext) - 1])
            if not 0 < k < pages:
                return None
        else:
            return None
        items = c.articles[k * c.per_page:(k + 1) * c.per_page]
        links = "".join(f"<li><a href='{a}' target='_blank'>报道</a><span>2024-03-05</span></li>" for a in items)
        return _page("要闻", f"<ul class='list'>{links}</ul><div class='page'><script>createPageHTML({pages}, {k}, "
                             f"\"index\", \"{c.ext}\");</script></div>")

    # A plain list: list.html, list_2.html … linked by 下一页 and page numbers.
    def _html(self, c: Column, path: str, query: dict[str, list[str]], h: Any) -> bytes | None:
        base = c.list_path.rsplit("/", 1)[0] + "/"
        pages = -(-len(c.articles) // c.per_page)
        if path == c.list_path:
            k = 1
        elif path.startswith(base + "list_") and path.endswith(".html"):
            k = int(path[len(base) + 5:-5])
            if not 1 < k <= pages:
                return None
        else:
            return None
        items = c.articles[(k - 1) * c.per_page:k * c.per_page]
        links = "".join(f"<li><a href='{a}'>报道</a></li>" for a in items)
        pager = " ".join(f"<a href='list_{i}.html'>{i}</a>" for i in range(2, min(pages, 6) + 1))
        nxt = f"<a href='list_{k + 1}.html'>下一页</a>" if k < pages else ""
        return _page("新闻", f"<ul>{links}</ul><div class='pager'>{pager} {nxt}</div>")

    # A JSON list: the page's script asks /api/list?page=N; items {title, link, pubDate} under data.list.
    def _json(self, c: Column, path: str, query: dict[str, list[str]], h: Any) -> bytes | None:
        if path == c.list_path:
            return _page("新闻", "<div id='app'></div><script src='/static/app.js'></script>")
        if path == "/api/list":
            k = int(query.get("page", ["1"])[0])
            items = c.articles[(k - 1) * c.per_page:k * c.per_page]
            payload = {"code": 0, "data": {"list": [{"title": "报道", "link": a, "pubDate": "2024-03-05"} for a in items]}}
            return json.dumps(payload).encode()
        return None
