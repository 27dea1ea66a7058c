"""Main-text quality of `cityfacts parse` against trafilatura's own default output, on the same pages.

The pages are the demo site's report pages, rendered with real page chrome
(navigation, breadcrumbs, source/date line, share widget, related-articles
block with other cities' figures, footer) and served as UTF-8, GBK and
GB2312. Their true body text is known, so both extractions are scored by
bag-of-tokens precision and recall against it (words for English, characters
for Chinese). Both see the same bytes: trafilatura gets the page decoded by
its own defaults (`trafilatura.extract` on the raw bytes).
"""
from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import trafilatura

from crawlers.parse import parse_page
from flows.demo_server import article_path, build_pages, load_site


def tokens(text: str, lang: str) -> Counter[str]:
    if lang == "zh":
        return Counter(c for c in text if re.match(r"[\u4e00-\u9fff0-9]", c))
    return Counter(w.lower() for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9,.'%-]*", text))


def prf(got: str, truth: str, lang: str) -> tuple[float, float]:
    g, t = tokens(got, lang), tokens(truth, lang)
    overlap = sum((g & t).values())
    return (overlap / sum(g.values()) if g else 0.0), (overlap / sum(t.values()) if t else 0.0)


def run() -> list[dict[str, Any]]:
    site = load_site()
    pages = build_pages("http://demo-news.invalid")
    scores: dict[str, list[tuple[float, float]]] = {"cityfacts": [], "trafilatura": []}
    leaks = {"cityfacts": 0, "trafilatura": 0}
    timing = {"cityfacts": 0.0, "trafilatura": 0.0}
    for a in site["articles"]:
        page = pages[article_path(a)]
        truth = "\n".join(a["body"])
        t = time.perf_counter()
        ours = parse_page(page.body, "http://demo-news.invalid" + article_path(a), page.content_type).text
        timing["cityfacts"] += time.perf_counter() - t
        t = time.perf_counter()
        theirs = trafilatura.extract(page.body, url="http://demo-news.invalid" + article_path(a)) or ""
        timing["trafilatura"] += time.perf_counter() - t
        for name, text in (("cityfacts", ours), ("trafilatura", theirs)):
            scores[name].append(prf(text, truth, a["lang"]))
            # chrome that must never reach the text: related-article teasers about other cities
            leaks[name] += any(r["teaser"][:12] in text for r in site["related"])
    out = []
    for name in ("cityfacts", "trafilatura"):
        p = sum(s[0] for s in scores[name]) / len(scores[name])
        r = sum(s[1] for s in scores[name]) / len(scores[name])
        out.append({"extractor": name, "pages": len(scores[name]), "precision": p, "recall": r,
                    "f1": 2 * p * r / (p + r) if p + r else 0.0, "teaser_leaks": leaks[name],
                    "ms_per_page": 1000 * timing[name] / len(scores[name])})
    return out


if __name__ == "__main__":
    for row in run():
        print(row)
