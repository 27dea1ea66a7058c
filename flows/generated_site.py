"""A generated news site of N report pages on 127.0.0.1, for benchmarks and the scale-out demo and test.

Pages are built from templates with the demo site's chrome (navigation,
date line, share widget, related articles, footer): half English, half
Chinese, fictional cities and figures, 50 links per list page.
"""
from __future__ import annotations

import random
from typing import Any

from flows.demo_server import render_article
from flows.loopback import LoopbackSite

CITIES = [("Jinan", "济南市"), ("Qingdao", "青岛市"), ("Wuxi", "无锡市"), ("Suzhou", "苏州市"), ("Hefei", "合肥市"),
          ("Ningbo", "宁波市"), ("Changsha", "长沙市"), ("Zibo", "淄博市"), ("Weifang", "潍坊市"), ("Xiamen", "厦门市")]
EN = ["{c} has {a} provincial-level production and education integration enterprises and {b} industrial colleges.",
      "The city built {a} training bases this year and trained more than {b},000 students.",
      "{c} allocated {a} million yuan in subsidy funds to {b} vocational colleges.",
      "About {a}% of graduates stayed in {c}, and {b} new majors were added."]
ZH = ["{c}累计培育产教融合型企业{a}家，建成产业学院{b}个。", "全市建成实训基地{a}个，培训职工{b}万人次。",
      "{c}安排专项资金{a}00万元，支持{b}所职业院校建设。", "毕业生本地就业率约{a}%，新增专业{b}个。"]
PER_LIST = 50
SITE = {"site_name": "Generated Daily (benchmark)", "related": [
    {"title": "Yichang holds a press conference", "teaser": "Yichang announced 12 measures and 600 million yuan..."}]}


def article(i: int) -> dict[str, Any]:
    rnd = random.Random(i)
    en, zh = CITIES[i % len(CITIES)]
    lang = "en" if i % 2 == 0 else "zh"
    lines = EN if lang == "en" else ZH
    body = [rnd.choice(lines).format(c=en if lang == "en" else zh, a=rnd.randint(2, 90), b=rnd.randint(2, 40))
            for _ in range(rnd.randint(3, 6))]
    title = f"{en} report {i}" if lang == "en" else f"{zh}产教融合工作报道{i}"
    return {"id": f"art_{i:05d}", "lang": lang, "encoding": "utf-8" if i % 3 else ("gbk" if lang == "zh" else "utf-8"),
            "date": f"2024-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}", "source": "Generated Daily", "title": title, "body": body}


class GeneratedSite(LoopbackSite):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def handle(self, h: Any, path: str) -> None:
        body, ctype = self.page(path)
        self.respond(h, 200 if body is not None else 404, body if body is not None else b"not found", ctype)

    def page(self, path: str) -> tuple[bytes | None, str]:
        if path == "/robots.txt":
            return b"User-agent: *\nAllow: /\n", "text/plain"
        if path.startswith("/list/"):
            p = int(path.removeprefix("/list/").removesuffix(".html"))
            ids = range((p - 1) * PER_LIST, min(p * PER_LIST, self.n))
            links = "".join(f"<li><a href='/a/{i}.html'>report {i}</a></li>" for i in ids)
            nxt = f"<a href='/list/{p + 1}.html'>next</a>" if p * PER_LIST < self.n else ""
            return f"<html><body><ul>{links}</ul>{nxt}</body></html>".encode(), "text/html; charset=utf-8"
        if path.startswith("/a/"):
            i = int(path.removeprefix("/a/").removesuffix(".html"))
            if 0 <= i < self.n:
                a = article(i)
                return render_article(a, SITE, []).encode(a["encoding"], "xmlcharrefreplace"), f"text/html; charset={a['encoding']}"
        return None, "text/plain"

    def sources_yaml(self) -> str:
        return (f"sources:\n  - name: generated\n    start_urls: ['{self.url}/list/1.html']\n"
                f"    article_pattern: '/a/\\d+\\.html$'\n    follow_pattern: '/list/\\d+\\.html$'\n    lang: auto\n"
                f"    max_list_pages: {self.n // PER_LIST + 1}\n"
                f"    politeness: {{download_delay: 0, autothrottle: false, concurrency_per_domain: 16}}\n")
