"""Score extraction against a folder labelled like ../shared/eval/dev.

Each `NAME.txt` has a labelled `NAME.gold.json` beside it: `facts` with
`quote` (exact substring; `occurrence` k picks the k-th), `value`,
`value_max`, `unit`, `city`, `approx`, plus `main_city`; and what each figure
measures (`metric`, `status`, `aspect`, `level`, `year`; ../shared/eval/QUALIFIERS.md),
skipped where the fact says `unsure`. A predicted figure matches a gold one
when their spans overlap and their values agree (0.5%); matching is
one-to-one, in text order.

Qualifiers are scored on matched figures: metric accuracy, and F1 on the
informative labels (a target; an addition; a yearly figure; a stated level;
a stated year), since "actual total, no level, no year" is what most figures
are and a rule that always said so would look accurate.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.errors import EvalError
from nlp.extract import Extractor
from nlp.segments import detect_lang


@dataclass
class DocScore:
    name: str
    lang: str
    gold: int
    predicted: int
    matched: int
    city_ok: int
    approx_ok: int
    unit_ok: int
    main_city_gold: str | None
    main_city: str | None
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    wrong_city: list[str] = field(default_factory=list)
    labelled: int = 0  # matched figures whose qualifiers are labelled (not unsure)
    metric_ok: int = 0
    # label -> [true positives, false positives, false negatives] among labelled matched figures
    labels: dict[str, list[int]] = field(default_factory=dict)
    wrong_qualifiers: list[str] = field(default_factory=list)


# The informative labels: (name, field, whether a value counts as a positive).
LABELS: tuple[tuple[str, str, Any], ...] = (
    ("target", "status", lambda v: v == "target"),
    ("added", "aspect", lambda v: v == "added"),
    ("per_year", "aspect", lambda v: v == "per_year"),
    ("level", "level", lambda v: v is not None),
    ("year", "year", lambda v: v is not None),
)


def _score_labels(score: DocScore, f: Any, g: dict[str, Any]) -> None:
    if g.get("unsure") or "status" not in g:
        return
    score.labelled += 1
    score.metric_ok += f.metric == g.get("metric")
    wrong = []
    for name, key, positive in LABELS:
        counts = score.labels.setdefault(name, [0, 0, 0])
        pred, gold = getattr(f, key, None), g.get(key)
        if positive(pred) and pred == gold:
            counts[0] += 1
        else:
            counts[1] += positive(pred)
            counts[2] += positive(gold)
        if pred != gold and (positive(pred) or positive(gold)):
            wrong.append(f"{key} {pred} (gold {gold})")
    if f.metric != g.get("metric"):
        wrong.append(f"metric {f.metric} (gold {g.get('metric')})")
    if wrong:
        score.wrong_qualifiers.append(f"{f.text!r}: " + ", ".join(wrong))


def _span(text: str, quote: str, occurrence: int, where: str) -> tuple[int, int]:
    pos = -1
    for _ in range(max(1, occurrence)):
        pos = text.find(quote, pos + 1)
        if pos < 0:
            raise EvalError(f"{where}: quote {quote!r} (occurrence {occurrence}) is not in the text")
    return pos, pos + len(quote)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(0.005 * abs(b), 0.01)


def same_place(extractor: Extractor, ours: str | None, gold: str | None) -> bool:
    """The same name, or two names of one place in the gazetteer (Nagchu and Nagqu, 鄂尔多斯 and Ordos)."""
    if ours == gold or ours is None or gold is None:
        return ours == gold
    place = extractor.gazetteer.lookup(gold)
    return place is not None and place is extractor.gazetteer.lookup(ours)


def score_doc(name: str, text: str, gold: dict[str, Any], extractor: Extractor, lang: str | None,
              published: str | None = None) -> DocScore:
    ex = extractor.extract(text, lang, published)
    gold_facts = []
    for i, g in enumerate(gold.get("facts", [])):
        s, e = _span(text, g["quote"], int(g.get("occurrence", 1)), f"{name}.gold.json: facts[{i}]")
        gold_facts.append((s, e, g))
    used: set[int] = set()
    matched = city_ok = approx_ok = unit_ok = 0
    extras, wrong_city = [], []
    main_gold = gold.get("main_city")
    main = main_gold if same_place(extractor, ex.main_city, main_gold) else ex.main_city
    score = DocScore(name, ex.lang, len(gold_facts), len(ex.facts), 0, 0, 0, 0, main_gold, main)
    for f in ex.facts:
        hit = None
        for j, (s, e, g) in enumerate(gold_facts):
            if j not in used and s < f.end and f.start < e and _close(f.value, float(g["value"])):
                hit = j
                break
        if hit is None:
            extras.append(f"{f.text!r}={f.value:g}")
            continue
        used.add(hit)
        g = gold_facts[hit][2]
        matched += 1
        if same_place(extractor, f.city, g.get("city")):
            city_ok += 1
        else:
            wrong_city.append(f"{f.text!r}: {f.city} (gold {g.get('city')})")
        approx_ok += f.approx == g.get("approx")
        unit_ok += f.unit == g.get("unit")
        _score_labels(score, f, g)
    score.misses = [f"{g['quote']!r}={g['value']}" for j, (_, _, g) in enumerate(gold_facts) if j not in used]
    score.matched, score.city_ok, score.approx_ok, score.unit_ok = matched, city_ok, approx_ok, unit_ok
    score.extras, score.wrong_city = extras, wrong_city
    return score


DATE_IN_URL = re.compile(r"(?<!\d)(20\d\d)[-/_]?(0[1-9]|1[0-2])[-/_]?(0?[1-9]|[12]\d|3[01])(?!\d)")


def published_of(gold: dict[str, Any], text: str) -> str | None:
    """The report's date as labelled (`published`), else as its URL spells it (/2024/0830/, /20190612/...)."""
    if gold.get("published"):
        return str(gold["published"])[:10]
    url = str(gold.get("url") or "")
    if not url:
        m = re.match(r"URL:\s*(\S+)", text)
        url = m.group(1) if m else ""
    m = DATE_IN_URL.search(url) if url else None
    if m:
        return f"{m.group(1)}-{m.group(2)}-{int(m.group(3)):02d}"
    m = re.search(r"/(20\d\d)/(0?[1-9]|1[0-2])/", url)
    return f"{m.group(1)}-{int(m.group(2)):02d}-01" if m else None


def score_dir(folder: str | Path, extractor: Extractor | None = None, lang: str | None = None) -> list[DocScore]:
    folder = Path(folder)
    if not folder.is_dir():
        raise EvalError(f"{folder}: not a directory")
    extractor = extractor or Extractor()
    out = []
    for gold_path in sorted(folder.glob("*.gold.json")):
        name = gold_path.name.removesuffix(".gold.json")
        txt = gold_path.with_name(name + ".txt")
        if not txt.exists():
            raise EvalError(f"{gold_path}: no {txt.name} beside it")
        try:
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise EvalError(f"{gold_path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
        text = txt.read_text(encoding="utf-8")
        doc_lang = gold.get("lang") or detect_lang(text)
        if lang and doc_lang != lang:
            continue
        out.append(score_doc(name, text, gold, extractor, doc_lang, published_of(gold, text)))
    if not out:
        raise EvalError(f"{folder}: no NAME.txt + NAME.gold.json pairs found")
    return out


def summary(scores: list[DocScore]) -> dict[str, float]:
    gold = sum(s.gold for s in scores)
    pred = sum(s.predicted for s in scores)
    matched = sum(s.matched for s in scores)
    p = matched / pred if pred else 0.0
    r = matched / gold if gold else 0.0
    return {
        "docs": len(scores), "gold": gold, "predicted": pred, "matched": matched,
        "precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0,
        "city_accuracy": round(sum(s.city_ok for s in scores) / matched, 4) if matched else 0.0,
        "approx_accuracy": round(sum(s.approx_ok for s in scores) / matched, 4) if matched else 0.0,
        "unit_accuracy": round(sum(s.unit_ok for s in scores) / matched, 4) if matched else 0.0,
        "main_city_accuracy": round(sum(s.main_city == s.main_city_gold for s in scores) / len(scores), 4),
        **label_summary(scores),
    }


def label_summary(scores: list[DocScore]) -> dict[str, float]:
    labelled = sum(s.labelled for s in scores)
    out: dict[str, float] = {"labelled": labelled,
                             "metric_accuracy": round(sum(s.metric_ok for s in scores) / labelled, 4) if labelled else 0.0}
    for name, _, _ in LABELS:
        tp, fp, fn = (sum(s.labels.get(name, [0, 0, 0])[i] for s in scores) for i in range(3))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[f"{name}_f1"] = round(2 * p * r / (p + r), 4) if p + r else (1.0 if tp + fp + fn == 0 else 0.0)
        out[f"{name}_gold"] = tp + fn
    return out
