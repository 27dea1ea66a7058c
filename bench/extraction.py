"""Extraction throughput against the libraries underneath, measured in one process.

English: cityfacts' pipeline (en_core_web_sm + our components) against bare
`nlp.pipe` of the same model with the same components excluded, on the same
texts. Chinese: characters per second of our pipeline against jieba
segmentation alone (`jieba.lcut`) on the same texts. Each side is timed
alternately over several rounds; the best round of each is kept.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def corpus() -> dict[str, list[str]]:
    """Report texts: the demo site's articles, our fixtures, and ../shared/eval/dev when present."""
    import yaml

    site = yaml.safe_load((ROOT / "flows" / "demo_site" / "articles.yaml").read_text(encoding="utf-8"))
    texts: dict[str, list[str]] = {"en": [], "zh": []}
    for a in site["articles"]:
        texts[a["lang"]].append(a["title"] + "\n\n" + "\n".join(a["body"]))
    for p in sorted((ROOT / "tests" / "fixtures").glob("*.txt")):
        texts["zh" if "_zh" in p.stem else "en"].append(p.read_text(encoding="utf-8"))
    dev = ROOT.parent / "shared" / "eval" / "dev"
    if dev.is_dir():
        for p in sorted(dev.glob("*.txt")):
            t = p.read_text(encoding="utf-8")
            texts["zh" if "LANG: zh" in t[:300] else "en"].append(t)
    return texts


def best_of(rounds: int, fns: dict[str, Callable[[], Any]]) -> dict[str, float]:
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def run(repeat: int = 8, rounds: int = 5) -> list[dict[str, Any]]:
    import jieba
    import spacy

    from nlp.extract import EN_MODEL, Extractor

    texts = corpus()
    en = texts["en"] * repeat
    zh = texts["zh"] * repeat
    ex = Extractor()
    ours_en = ex.pipeline("en")
    ours_zh = ex.pipeline("zh")
    bare_en = spacy.load(EN_MODEL, exclude=["lemmatizer"])
    jieba.lcut("预热")
    ex.extract_many(texts["en"][:2] + texts["zh"][:2])  # warm caches (gazetteer, lexicons, posseg)

    t_en = best_of(rounds, {
        "bare": lambda: list(bare_en.pipe(en, batch_size=16)),
        "ours": lambda: list(ours_en.pipe(en, batch_size=16)),
    })
    t_zh = best_of(rounds, {
        "jieba": lambda: [jieba.lcut(t) for t in zh],
        "ours": lambda: list(ours_zh.pipe(zh, batch_size=16)),
    })
    t_en2 = best_of(max(2, rounds // 2), {
        "bare": lambda: list(bare_en.pipe(en, batch_size=16, n_process=2)),
        "ours": lambda: list(ours_en.pipe(en, batch_size=16, n_process=2)),
    })
    en_words = sum(len(t.split()) for t in en)
    zh_chars = sum(len(t) for t in zh)
    return [
        {"what": "English extraction, 2 processes", "n": f"{len(en)} docs, {en_words:,} words",
         "baseline": "bare nlp.pipe(n_process=2)", "baseline_rate": f"{len(en) / t_en2['bare']:.1f} docs/s",
         "ours_rate": f"{len(en) / t_en2['ours']:.1f} docs/s",
         "ratio": t_en2["bare"] / t_en2["ours"], "overhead": t_en2["ours"] / t_en2["bare"] - 1},
        {"what": "English extraction, 1 process", "n": f"{len(en)} docs, {en_words:,} words",
         "baseline": "bare nlp.pipe (en_core_web_sm)", "baseline_rate": f"{len(en) / t_en['bare']:.1f} docs/s",
         "ours_rate": f"{len(en) / t_en['ours']:.1f} docs/s",
         "ratio": t_en["bare"] / t_en["ours"], "overhead": t_en["ours"] / t_en["bare"] - 1},
        {"what": "Chinese extraction", "n": f"{len(zh)} docs, {zh_chars:,} chars",
         "baseline": "jieba.lcut alone", "baseline_rate": f"{zh_chars / t_zh['jieba']:,.0f} chars/s",
         "ours_rate": f"{zh_chars / t_zh['ours']:,.0f} chars/s",
         "ratio": t_zh["jieba"] / t_zh["ours"], "overhead": t_zh["ours"] / t_zh["jieba"] - 1},
    ]
