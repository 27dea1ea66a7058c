"""A loopback news site that misbehaves on purpose, for crawler and flow tests.

Good report pages sit beside pages that fail in every way real sites do:
5xx, a 503 that recovers, timeouts, connection resets, truncated bodies,
redirect loops, oversized bodies, GBK with a lying header, malformed markup,
empty and binary bodies. `heal()` makes every page good (a site that
recovers); `requests` logs every path fetched.
"""
from __future__ import annotations

import gzip
import socket
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from flows.loopback import LoopbackSite

GOOD = {
    "ok1": ("Zibo adds integration enterprises", "2024-05-01",
            "Zibo City has 41 provincial-level production and education integration enterprises and 12 industrial colleges."),
    "ok2": ("Rizhao builds training bases", "2024-05-02",
            "Rizhao has built 230 training bases and trained more than 9,000 students this year."),
    "ok3": ("Dezhou funds vocational colleges", "2024-05-03",
            "Dezhou allocated 18 million yuan in subsidy funds to 6 vocational colleges."),
    "feed1": ("Liaocheng feed report", "2024-06-01", "Liaocheng has 15 industrial colleges and 300 cooperating enterprises."),
    "feed_old": ("Liaocheng old report", "2019-01-01", "Liaocheng had 3 industrial colleges in 2018."),
    "atom1": ("Linyi atom report", "2024-06-04", "Linyi has 11 industrial colleges and 70 training bases."),
    "map1": ("Heze sitemap report", "2024-06-02", "Heze has 27 training bases and 4,000 students in apprenticeships."),
    "map_old": ("Heze old report", "2018-03-03", "Heze had 2 training bases."),
    "sports": ("Binzhou marathon", "2024-06-03", "Binzhou held a marathon with 20,000 runners on Sunday."),
}
FAULTS = ["e500", "e503", "timeout", "reset", "truncated", "loop", "big", "malformed", "empty", "binary", "gbk_lie", "moved"]


def page_html(title: str, day: str, body: str, charset: str = "utf-8", extra: str = "") -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='{charset}'><title>{title}</title></head><body>"
            f"<nav><a href='/list_1.html'>Home</a></nav><h1>{title}</h1><div class='date'>Time:{day.replace('-', '.')}</div>"
            f"<div class='content'><p>{body}</p><p>The municipal education bureau reported the figures at a press "
            f"conference, and said more work on school-enterprise cooperation would follow this year.</p>{extra}</div>"
            f"<div class='related'><h3>Related articles</h3><ul><li>Yichang opened 99 museums</li></ul></div>"
            f"<footer>Copyright 2024 Tel 0531-12345678</footer></body></html>")


class FaultSite(LoopbackSite):
    protocol_version = "HTTP/1.1"

    def __init__(self, timeout_s: float = 3.0) -> None:
        super().__init__()
        self.user_agents: set[str] = set()
        self.hosts: set[str] = set()
        self.healthy = False
        self.version = 1
        self.hits: dict[str, int] = {}
        self.timeout_s = timeout_s

    def handle(self, h: Any, path: str) -> None:
        self.user_agents.add(h.headers.get("User-Agent", ""))
        self.hosts.add(h.headers.get("Host", ""))
        self.hits[path] = self.hits.get(path, 0) + 1
        self.route(h, path)

    def heal(self) -> None:
        self.healthy = True

    def fetched(self, path: str) -> int:
        return self.requests.count(path)

    def article(self, name: str) -> bytes:
        if name in GOOD:
            title, day, body = GOOD[name]
        else:
            title, day, body = (f"{name} report", "2024-05-10", f"Tai'an has {len(name) * 7} training bases.")
        if self.version > 1 and name == "ok1":
            body = body.replace("41", "44")
        return page_html(title, day, body).encode("utf-8")

    def route(self, h: Any, path: str) -> None:
        if path == "/robots.txt":
            return self.respond(h, 200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        if path in ("/list_1.html", "/list_2.html"):
            names = ["ok1", "ok2", *FAULTS[:6]] if path == "/list_1.html" else ["ok3", *FAULTS[6:]]
            links = "".join(f"<li><a href='/a/{n}.html'>{n}</a></li>" for n in names)
            port = self.server.server_address[1]
            more = ("<a href='/list_2.html'>Next</a>" if path == "/list_1.html" else
                    f"<a href='/private/secret.html'>x</a><a href='http://localhost:{port}/a/offsite.html'>off</a>"
                    f"<a href='ftp://127.0.0.1/a/ftp.html'>ftp</a>")
            return self.respond(h, 200, f"<html><body><ul>{links}</ul>{more}</body></html>".encode())
        if path == "/feed.xml":
            items = "".join(
                f"<item><title>{n}</title><link>{self.url}/a/{n}.html</link>"
                f"<pubDate>{format_datetime(datetime.fromisoformat(GOOD[n][1]).replace(tzinfo=UTC))}</pubDate></item>"
                for n in ("feed1", "feed_old", "sports"))
            return self.respond(h, 200, f"<?xml version='1.0'?><rss version='2.0'><channel><title>f</title>{items}</channel></rss>".encode(),
                          "application/rss+xml")
        if path == "/atom.xml":
            return self.respond(h, 200, (f"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>a</title>"
                                         f"<entry><title>atom1</title><link href='{self.url}/a/atom1.html'/>"
                                         f"<updated>2024-06-04T08:00:00Z</updated></entry></feed>").encode(),
                                "application/atom+xml")
        if path == "/sitemap.xml":
            return self.respond(h, 200, (f"<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
                                f"<sitemap><loc>{self.url}/sitemap-a.xml.gz</loc><lastmod>2024-06-02</lastmod></sitemap>"
                                f"</sitemapindex>").encode(), "application/xml")
        if path == "/sitemap-a.xml.gz":
            xml = "".join(f"<url><loc>{self.url}/a/{n}.html</loc><lastmod>{GOOD[n][1]}</lastmod></url>" for n in ("map1", "map_old"))
            body = gzip.compress(f"<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{xml}</urlset>".encode())
            return self.respond(h, 200, body, "application/x-gzip")
        if not path.startswith(("/a/", "/private/")):
            return self.respond(h, 404, b"not found")
        name = path.rsplit("/", 1)[1].removesuffix(".html")
        if self.healthy or name in GOOD:
            return self.respond(h, 200, self.article(name))
        if name == "e500":
            return self.respond(h, 500, b"server error")
        if name == "e503":
            if self.hits[path] <= 1:
                return self.respond(h, 503, b"busy", headers={"Retry-After": "1"})
            return self.respond(h, 200, self.article(name))
        if name == "timeout":
            time.sleep(self.timeout_s)
            return self.respond(h, 200, self.article(name))
        if name == "reset":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            h.connection.close()
            return None
        if name == "truncated":
            body = self.article(name)
            return self.respond(h, 200, body[: len(body) // 2], length=len(body))
        if name == "loop":
            return self.respond(h, 302, b"", headers={"Location": "/a/loop.html"})
        if name == "moved":
            return self.respond(h, 301, b"", headers={"Location": "/a/ok3.html"})
        if name == "big":
            return self.respond(h, 200, b"<html><body><p>" + b"x" * 300_000 + b"</p></body></html>")
        if name == "malformed":
            html = "<html><body><div><p>Weihai has 8 industrial colleges<div><p>and 19 training bases.<span></body>"
            return self.respond(h, 200, html.encode())
        if name == "empty":
            return self.respond(h, 200, b"")
        if name == "binary":
            return self.respond(h, 200, bytes(range(256)) * 20)
        if name == "gbk_lie":
            html = page_html("泰安市产教融合", "2024-05-11", "泰安市累计培育产教融合型企业35家，建成实训基地120个。", charset="utf-8")
            return self.respond(h, 200, html.encode("gbk"), "text/html; charset=utf-8")
        return self.respond(h, 404, b"no")
