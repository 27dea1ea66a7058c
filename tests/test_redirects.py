"""Redirects that end badly are failures, recorded and retried, never aliases of nothing (issue 16).

A link that redirected to a page that then failed, left the site, or ran past
the redirect limit used to vanish: no crawl_failures row, or an alias that
kept the link from being asked again after the site recovered.
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
