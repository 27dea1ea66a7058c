"""Main text and dates of real pages: `cityfacts parse` against trafilatura's and htmldate's defaults.

The pages are ../shared/eval/pages (60 English pages of the Zyte article-extraction benchmark, 40
Chinese pages, many of them GBK, some with a wrong charset declaration); nothing here is run when that
folder is absent. Scoring follows the benchmarks' own rules (pages/README.md): English text by 4-gram
shingles of `\\w+` tokens, Chinese text by character 4-grams; precision and recall per page, averaged over
pages, F1 from the two means; a date is right when it is the same calendar day.

    python -m bench.pages [--details]
"""
from __future__ import annotations

import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trafilatura
from htmldate import find_date

from crawlers.parse import decode_html, parse_page

PAGES = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "pages"
N = 4


def shingles(text: str, lang: str) -> Counter[tuple[str, ...]]:
    units = [c for c in text if not c.isspace()] if lang == "zh" else re.findall(r"\w+", text)
    return Counter(tuple(units[i:i + N]) for i in range(max(0, len(units) - N + 1)))


def precision_recall(got: str, truth: str, lang: str) -> tuple[float, float]:
    g, t = shingles(got, lang), shingles(truth, lang)
    if not g and not t:
        return 1.0, 1.0
    tp = sum((g & t).values())
    return (tp / sum(g.values()) if g else 0.0), (tp / sum(t.values()) if t else 0.0)


def load(lang: str) -> list[dict[str, Any]]:
    """[{id, body (raw bytes), text, url, date}] of one language's pages."""
    folder = PAGES / lang
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    out = []
    for key, item in sorted(truth.items()):
        path = folder / f"{key}.html.gz"
        body = gzip.decompress(path.read_bytes()) if path.exists() else (folder / f"{key}.html").read_bytes()
        out.append({"id": key, "body": body, "text": item.get("articleBody") or "", "url": item.get("url"),
                    "date": _day(item.get("date"))})
    return out


def _day(value: str | None) -> str | None:
    """The labelled date as YYYY-MM-DD ("2005-3-11 ", "2005-5-7 2"); None when it names no day ("1998-3")."""
    m = re.match(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})", value or "")
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}" if m else None


def _trafilatura(body: bytes, url: str | None) -> tuple[str, str | None]:
    return trafilatura.extract(body, url=url) or "", None


def _htmldate(body: bytes, url: str | None) -> str | None:
    html, _ = decode_html(body)
    try:
        return find_date(html, url=url, outputformat="%Y-%m-%d")
    except Exception:  # noqa: BLE001 - a baseline that fails on a page scores it as missed
        return None


def _cityfacts(body: bytes, url: str | None) -> tuple[str, str | None]:
    page = parse_page(body, url)
    return page.text, page.published


def score(lang: str, details: bool = False) -> list[dict[str, Any]]:
    pages = load(lang)
    rows = []
    runners: dict[str, Callable[[bytes, str | None], tuple[str, str | None]]] = {
        "cityfacts parse": _cityfacts, "trafilatura.extract (default)": _trafilatura}
    for name, run in runners.items():
        ps, rs, seconds, dated, right = [], [], 0.0, 0, 0
        for page in pages:
            t = time.perf_counter()
            text, published = run(page["body"], page["url"])
            seconds += time.perf_counter() - t
            p, r = precision_recall(text, page["text"], lang)
            ps.append(p)
            rs.append(r)
            if page["date"]:
                dated += 1
                right += published == page["date"]
            if details and name.startswith("cityfacts") and (p < 0.9 or r < 0.9 or (page["date"] and published != page["date"])):
                print(f"{lang} {page['id']}: P {p:.2f} R {r:.2f} date {published} (truth {page['date']})", file=sys.stderr)
        p, r = sum(ps) / len(ps), sum(rs) / len(rs)
        rows.append({"lang": lang, "extractor": name, "pages": len(pages), "precision": p, "recall": r,
                     "f1": 2 * p * r / (p + r) if p + r else 0.0, "dated": dated,
                     "date_right": right if name.startswith("cityfacts") else None,
                     "ms_per_page": 1000 * seconds / len(pages)})
    dated_pages = [p for p in pages if p["date"]]
    if dated_pages:
        right = sum(_htmldate(p["body"], p["url"]) == p["date"] for p in dated_pages)
        rows.append({"lang": lang, "extractor": "htmldate.find_date (default)", "pages": len(pages), "precision": None,
                     "recall": None, "f1": None, "dated": len(dated_pages), "date_right": right, "ms_per_page": None})
    return rows


def run(details: bool = False) -> list[dict[str, Any]]:
    """Rows for BENCHMARKS.md; empty when the evaluation pages are not beside the project."""
    if not PAGES.is_dir():
        return []
    return [row for lang in ("en", "zh") if (PAGES / lang).is_dir() for row in score(lang, details)]


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| lang | extractor | pages | text precision | text recall | text F1 | dates right (of dated) | ms/page |",
             "|---|---|---|---|---|---|---|---|"]

    def f(x: float | None) -> str:
        return "" if x is None else f"{x:.3f}"

    for r in rows:
        dates = "" if r["date_right"] is None or not r["dated"] else \
            f"{r['date_right']}/{r['dated']} ({r['date_right'] / r['dated']:.2f})"
        ms = "" if r["ms_per_page"] is None else f"{r['ms_per_page']:.0f}"
        lines.append(f"| {r['lang']} | {r['extractor']} | {r['pages']} | {f(r['precision'])} | {f(r['recall'])} | "
                     f"{f(r['f1'])} | {dates} | {ms} |")
    return lines


if __name__ == "__main__":
    print("\n".join(markdown(run(details="--details" in sys.argv))))
