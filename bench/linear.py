"""Extraction time against text length, on figure-dense text with no sentence ends (the worst shape).

Issue 16 found `'5\\n' * 10000` took 43 s and longer texts ran out of memory:
every figure copied and re-scanned one giant sentence. Sentences are now cut
(nlp/segments.py `bounded`); this checks the time per character stays flat
from 10,000 to 500,000 characters, in English and Chinese.
"""
from __future__ import annotations

import time
from typing import Any

SIZES = (10_000, 50_000, 100_000, 500_000)
SHAPES = {"en": "Jinan built 5 bases\n", "zh": "济南建成5个基地\n"}


def text_of(shape: str, n: int) -> str:
    return (shape * (n // len(shape) + 1))[:n]


def run(sizes: tuple[int, ...] = SIZES) -> list[dict[str, Any]]:
    from nlp.extract import Extractor

    ex = Extractor()
    rows = []
    for lang, shape in SHAPES.items():
        ex.extract(text_of(shape, sizes[0]), lang)  # load the pipeline and warm its caches before timing
        for n in sizes:
            t = time.perf_counter()
            result = ex.extract(text_of(shape, n), lang)
            secs = time.perf_counter() - t
            rows.append({"lang": lang, "chars": n, "seconds": secs, "facts": len(result.facts),
                         "us_per_char": secs / n * 1e6})
    return rows


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["## Extraction time against text length (`python -m bench.linear`)", "",
             "Figure-dense text with no sentence end (one short line per figure, repeated), the shape that was",
             "quadratic before sentences were cut at 1,000 characters; µs per character should stay flat:", "",
             "| lang | characters | seconds | facts | µs/char | ratio to 10,000 chars |", "|---|---|---|---|---|---|"]
    base = {r["lang"]: r["us_per_char"] for r in rows if r["chars"] == min(x["chars"] for x in rows)}
    for r in rows:
        lines.append(f"| {r['lang']} | {r['chars']:,} | {r['seconds']:.2f} | {r['facts']:,} | {r['us_per_char']:.1f} | "
                     f"{r['us_per_char'] / base[r['lang']]:.2f} |")
    return lines + [""]


if __name__ == "__main__":
    print("\n".join(markdown(run())))
