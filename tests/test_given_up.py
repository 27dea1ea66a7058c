"""Every URL the crawler gives up on has a crawl_failures row, and the next run asks it again (issue 16).

A link that redirected to a page that then failed, left the site, or ran past
the redirect limit used to vanish with no row (or under the last hop, not the
link the site listed); so did over-long links, a sitemap carrying an entity
bomb, a page shorter than its Content-Length and a page nested too deep to
parse.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from flows.loopback import LoopbackSite
from tests.conftest import cli

BODY = "<html><body><h1>{t}</h1><p>Jinan built {n} training bases and {m} industrial colleges this year.</p></body></html>"


class Redirecting(LoopbackSite):
    """/a/hop.html -> /a/target.html (500 until healed); /a/away.html -> another host; /a/chain0.html -> a chain
    longer than the redirect limit."""

    def __init__(self) -> None:
        super().__init__()
        self.healthy = False

    def handle(self, h: Any, path: str) -> None:
        port = self.server.server_address[1]
        if path == "/robots.txt":
            return self.respond(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/":
            links = "".join(f"<a href='/a/{n}.html'>{n}</a>" for n in ("hop", "away", "chain0", "plain"))
            return self.respond(h, 200, f"<html><body>{links}</body></html>".encode())
        if path == "/a/hop.html":
            return self.respond(h, 302, b"", headers={"Location": "/a/target.html"})
        if path == "/a/target.html" and not self.healthy:
            return self.respond(h, 500, b"down")
        if path == "/a/away.html":
            return self.respond(h, 302, b"", headers={"Location": f"http://localhost:{port}/a/elsewhere.html"})
        if path.startswith("/a/chain"):
            i = int(path.removeprefix("/a/chain").removesuffix(".html"))
            if i < 30 and not self.healthy:
                return self.respond(h, 302, b"", headers={"Location": f"/a/chain{i + 1}.html"})
        n = len(path)
        return self.respond(h, 200, BODY.format(t=path, n=n, m=n + 1).encode())


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_a_link_whose_redirect_ends_badly_is_a_failure_and_tried_again(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    with Redirecting() as site:
        src = tmp_path / "s.yaml"
        src.write_text(f"sources:\n  - name: r\n    start_urls: ['{site.url}/']\n    article_pattern: '/a/'\n"
                       f"    politeness: {{download_delay: 0, autothrottle: false, retries: 1}}\n", encoding="utf-8")
        first = cli("crawl", "--sources", str(src), "--db", str(db))
        assert first.returncode == 0, first.stderr
        failed = {u.rsplit("/", 1)[1]: r for u, r in rows(db, "SELECT url, reason FROM crawl_failures")}
        stored = {u.rsplit("/", 1)[1] for (u,) in rows(db, "SELECT url FROM pages")}
        # Each link given up has its row, under the link the site listed.
        assert {"hop.html", "away.html", "chain0.html"} <= set(failed), failed
        assert "redirect" in failed["away.html"].lower() and "redirect" in failed["chain0.html"].lower(), failed
        assert "500" in failed["hop.html"], failed
        assert rows(db, "SELECT count(*) FROM url_aliases") == [(0,)]
        assert "plain.html" in stored and "target.html" not in stored

        site.healthy = True
        site.requests.clear()
        second = cli("crawl", "--sources", str(src), "--db", str(db))
        assert second.returncode == 0, second.stderr
        assert "/a/hop.html" in site.requests and "/a/chain0.html" in site.requests
        assert "/a/plain.html" not in site.requests  # stored: not fetched again
        stored = {u.rsplit("/", 1)[1] for (u,) in rows(db, "SELECT url FROM pages")}
        assert {"target.html", "chain0.html"} <= stored, stored
        aliases = {a.rsplit("/", 1)[1]: u.rsplit("/", 1)[1] for a, u in rows(db, "SELECT alias, url FROM url_aliases")}
        assert aliases.get("hop.html") == "target.html", aliases


DEEP = 100_000
ENTITIES = '<!ENTITY lol "lol">' + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1 or "") + ";") * 10}">'
                                           for i in range(1, 10))
LAUGHS = (f'<?xml version="1.0"?><!DOCTYPE lolz [{ENTITIES}]><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          '<url><loc>{base}/a/mapped.html</loc><lastmod>&lol9;</lastmod></url></urlset>')


class Hostile(LoopbackSite):
    """A list page with an over-long link and a tag of 200,000 attributes, a page shorter than it says, a sitemap with an entity bomb, and a
    list page nested 100,000 deep."""

    protocol_version = "HTTP/1.1"

    def handle(self, h: Any, path: str) -> None:
        if path == "/robots.txt":
            return self.respond(h, 200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/":
            links = "".join(f"<a href='/a/{n}.html'>{n}</a>" for n in ("short", "under", "fine"))
            long = "/a/" + "x" * 5000 + ".html"
            crowded = " ".join(f"a{i}='x'" for i in range(200_000))  # one tag, 200,000 attributes
            return self.respond(h, 200, f"<html><body><div {crowded}>{links}</div><a href='{long}'>long</a>"
                                        f"<a href='/deep.html'>next</a></body></html>".encode())
        if path == "/deep.html":
            return self.respond(h, 200, b"<html><body>" + b"<div>" * DEEP + b"<a href='/a/deep.html'>x</a>"
                                + b"</div>" * DEEP + b"</body></html>")
        if path == "/sitemap.xml":
            return self.respond(h, 200, LAUGHS.format(base=self.url).encode(), "application/xml")
        body = BODY.format(t=path, n=len(path), m=len(path) + 1).encode()
        if path == "/a/short.html":  # says more than it sends
            return self.respond(h, 200, body, length=len(body) + 500)
        if path == "/a/under.html":  # says less than it sends
            return self.respond(h, 200, body, length=len(body) // 2)
        return self.respond(h, 200, body)


def test_every_url_given_up_has_a_failure_row(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    with Hostile() as site:
        src = tmp_path / "s.yaml"
        src.write_text(f"sources:\n  - name: h\n    start_urls: ['{site.url}/']\n    sitemaps: ['{site.url}/sitemap.xml']\n"
                       f"    article_pattern: '/a/'\n    follow_pattern: '/deep.html'\n"
                       f"    politeness: {{download_delay: 0, autothrottle: false, retries: 0, timeout_s: 3}}\n",
                       encoding="utf-8")
        r = cli("crawl", "--sources", str(src), "--db", str(db))
    assert r.returncode == 0, r.stderr
    failed = {u.rsplit("/", 1)[1][:20]: reason for u, reason in rows(db, "SELECT url, reason FROM crawl_failures")}
    stored = {u.rsplit("/", 1)[1] for (u,) in rows(db, "SELECT url FROM pages")}
    assert "fine.html" in stored
    assert "short.html" in failed and "short.html" not in stored, (failed, stored)
    assert any(k.startswith("xxxx") for k in failed), failed
    assert "sitemap.xml" in failed and "cut short" in failed["sitemap.xml"], failed
    assert "deep.html" in failed and "cut short" in failed["deep.html"], failed
    assert "under.html" in stored or "under.html" in failed, (failed, stored)
