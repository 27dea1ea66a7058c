"""Find figures in Chinese text by matching characters, not jieba tokens.

jieba splits numbers unpredictably ("3303个" may become one token or two),
so the grammar runs over the raw characters (full-width digits mapped to
ASCII one for one, keeping offsets) and cn2an converts the numeral once
isolated. A Chinese numeral only counts when a unit or classifier follows
it: that single rule removes 统一, 一批, 十四五 and most other words made of
numeral characters.
"""
from __future__ import annotations

import re
from typing import Any

from nlp.figures_en import Candidate
from nlp.lexicon import alternation
from nlp.numbers import parse_zh, to_halfwidth

ZH_NUM = "零〇一二两三四五六七八九十百千万亿"


def build_grammar(lex: dict[str, Any]) -> re.Pattern[str]:
    pre = alternation([p for ps in lex["approx_before"].values() for p in ps], False)
    post = alternation([p for ps in lex["approx_after"].values() for p in ps], False)
    money = alternation(list(lex["money"]) + lex["money_foreign"], False)
    area = alternation(list(lex["area_m2"]), False)
    classifiers = alternation(
        lex["person_times"] + lex["people_classifiers"] + lex["classifiers"], False
    )
    digits = r"\d+(?:,\d{3})*(?:\.\d+)?"
    num = rf"(?:{digits}[万亿千百]*|[{ZH_NUM}]+(?:点[零〇一二三四五六七八九]+)?)"  # 三点五亿元: 3.5亿
    unit = rf"(?:(?P<money>{money})|(?P<pct>%|个百分点)|(?P<area>{area})|(?P<cls>{classifiers}))"
    return re.compile(
        rf"(?P<pre>{pre})?"
        rf"(?:(?P<pctpre>百分之)(?P<pnum>[{ZH_NUM}点]+|{digits})"
        rf"|(?P<num>{num})(?P<mid>余|多)?(?P<mult>[万亿]+(?=[{ZH_NUM}]*[^{ZH_NUM}]))?"
        rf"(?:(?:至|到|-|~|～|—|–)(?P<num2>{num}))?"
        rf"(?P<mid2>余|多)?{unit}?)"
        rf"(?P<post>{post})?"
    )


def _approx_of(word: str | None, table: dict[str, list[str]]) -> str | None:
    if not word:
        return None
    for key, words in table.items():
        if word in words:
            return key
    return None


_HAN = rf"(?:(?![{ZH_NUM}])[\u4e00-\u9fff])"
SLOGAN = re.compile(rf"[{ZH_NUM}]{_HAN}[{ZH_NUM}]{_HAN}")


def _blocked_spans(rules: ChineseFigures, text: str) -> list[tuple[int, int]]:
    """Words made of numerals (一批, 十四五) and slogans of the 一校一品 / 一企一策 shape."""
    spans = [m.span() for m in rules.not_figures.finditer(text)]
    for m in SLOGAN.finditer(text):
        a, b = m.group(0)[0], m.group(0)[2]
        if a == b or (a in "一二三四五" and b in "一二三四五"):
            spans.append(m.span())
    return spans


class ChineseFigures:
    """Figure candidates in Chinese text, by the grammar built from one lexicon."""

    def __init__(self, lex: dict[str, Any]) -> None:
        self.lex = lex
        self.grammar = build_grammar(lex)
        self.not_figures = re.compile(alternation(lex["not_figures"], False))
        pre = alternation([p for ps in lex["approx_before"].values() for p in ps], False)
        self.fraction_re = re.compile(rf"(?P<pre>{pre})?(?P<f>{alternation(list(lex['fractions']), False)})")

    def __call__(self, text: str, limit: int | None = None) -> list[Candidate]:
        return candidates(self, text, limit)


# A short quotation (“六个龙江”, “五个一”): a name or slogan, whose numerals are not figures.
QUOTED_SLOGAN = re.compile(r"[“\"「『][^”\"」』\n]{1,10}[”\"」』]")


def candidates(rules: ChineseFigures, text: str, limit: int | None = None) -> list[Candidate]:
    lex = rules.lex
    norm = to_halfwidth(text)
    end_limit = len(norm) if limit is None else limit
    blocked = _blocked_spans(rules, norm[:end_limit])
    slogans = [m.span() for m in QUOTED_SLOGAN.finditer(norm, 0, end_limit)]
    time_after = sorted(lex["time_after"], key=len, reverse=True)
    labels = lex["label_before"]
    out: list[Candidate] = []
    for m in rules.grammar.finditer(norm, 0, end_limit):
        if m.group("pctpre"):
            raw = m.group("pnum").replace("点", ".")
            value = parse_zh(raw) if not re.fullmatch(r"[\d.]+", raw) else float(raw)
            if value is None:
                continue
            out.append(Candidate(m.start(), m.end(), value, None, "percent",
                                 _approx_of(m.group("pre"), lex["approx_before"]), False, True))
            continue
        num = m.group("num")
        if not num:
            continue
        ns, ne = m.span("num")
        start, end = m.start(), m.end()
        is_digits = num[0].isdigit()
        has_unit = bool(m.group("money") or m.group("pct") or m.group("area") or m.group("cls"))
        if any(s < ne and ns < e for s, e in blocked):
            continue
        before = norm[max(0, ns - 2):ns]
        if any(before.endswith(lb) for lb in labels) or (norm[max(0, ns - 1):ns] in lex["ordinal_before"]):
            continue
        if norm[max(0, ns - 1):ns] in "+×/" and ns > 0 or norm[end:end + 1] in "+×/":
            continue
        if ns > 0 and (norm[ns - 1].isdigit() or (norm[ns - 1] in ".," and norm[ns - 2:ns - 1].isdigit())):
            continue
        after = norm[ne:ne + 4]
        if not m.group("cls") and any(after.startswith(t) for t in time_after):
            continue
        cls = m.group("cls") or ""
        tail = norm[m.end("cls"):m.end("cls") + 3] if cls else ""
        if cls in lex["ordinal_classifiers"]:
            continue
        if cls == "个" and any(tail.startswith(t) for t in lex["time_after_ge"]):
            continue
        if not has_unit:
            # Digits need 万/亿 or a unit; a bare Chinese numeral is a word, not a figure.
            if not (is_digits and re.search(r"[万亿]$", num)):
                if not (m.group("post") or m.group("pre")) or not is_digits:
                    continue
        if not is_digits and cls in lex["place_classifiers"] and len(num) > 2:
            continue
        if cls == "大" and not tail.startswith("类"):
            continue  # 四大经济, 十大产业, 十九大: a framework's or a congress's name; 18大类 counts categories
        if not is_digits and any(qs < ns and ne <= qe for qs, qe in slogans):
            continue  # “六个龙江”, “两融合、三提升”: a slogan in quotation marks
        if not is_digits and num[0] in "万亿千百" and ns > 0 and (norm[ns - 1] in "余多" or norm[ns - 1].isdigit()):
            continue  # the tail of "3000余万元", read whole elsewhere
        value = parse_zh(num)
        if value is None:
            continue
        if m.group("mult"):  # "3000余万元": more than 30 million
            for ch in m.group("mult"):
                value *= {"万": 1e4, "亿": 1e8}[ch]
        if is_digits and re.fullmatch(r"(19|20)\d\d", num) and not has_unit:
            continue
        vmax = parse_zh(m.group("num2")) if m.group("num2") else None
        # "3至5万元": the multiplier written once applies to both ends.
        if vmax is not None and re.search(r"[万亿]$", m.group("num2") or "") and not re.search(r"[万亿千百]$", num) and is_digits:
            value = parse_zh(num + m.group("num2")[-1]) or value
        unit, factor = "count", 1.0
        money = m.group("money")
        if money:
            unit = "other" if money in lex["money_foreign"] else "yuan"
        elif m.group("pct"):
            unit = "percent"
        elif m.group("area"):
            unit, factor = "area_m2", float(lex["area_m2"][m.group("area")])
        elif cls in lex["person_times"]:
            unit = "person_times"
        elif cls in lex["people_classifiers"]:
            unit = "people"
        approx = (_approx_of(m.group("pre"), lex["approx_before"])
                  or _approx_of(m.group("mid") or m.group("mid2"), lex["approx_mid"])
                  or _approx_of(m.group("post"), lex["approx_after"]))
        out.append(Candidate(start, end, value * factor, None if vmax is None else vmax * factor,
                             unit, approx, not has_unit, not is_digits))
    return _add_fractions(rules, norm[:end_limit], out)


def _add_fractions(rules: ChineseFigures, text: str, out: list[Candidate]) -> list[Candidate]:
    lex = rules.lex
    fractions = lex["fractions"]
    taken = [(c.start, c.end) for c in out]
    for m in rules.fraction_re.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in taken):
            continue
        approx = "more_than" if m.group("f") in lex["fraction_more_than"] else _approx_of(m.group("pre"), lex["approx_before"])
        out.append(Candidate(m.start(), m.end(), float(fractions[m.group("f")]), None, "percent", approx, False, True))
        taken.append(m.span())
    # 三成 (three tenths) and 2/3 (two thirds): shares, as percentages.
    for m in TENTHS.finditer(text):
        if not any(s < m.end() and m.start() < e for s, e in taken):
            value = parse_zh(m.group("n"))
            if value:
                out.append(Candidate(m.start(), m.end(), value * 10, None, "percent",
                                     _approx_of(m.group("pre"), lex["approx_before"]) or _approx_of(m.group("post"), lex["approx_after"]),
                                     False, True))
                taken.append(m.span())
    for m in SLASH_FRACTION.finditer(text):
        num, den = int(m.group("a")), int(m.group("b"))
        if 0 < num < den and not any(s < m.end() and m.start() < e for s, e in taken):
            out.append(Candidate(m.start(), m.end(), round(100 * num / den, 2), None, "percent", None, False, False))
    return sorted(out, key=lambda c: c.start)


# 三成企业, 近两成: tenths; not 建成/形成 (no numeral before) nor 八成是 (probably) or 一成不变.
TENTHS = re.compile(r"(?P<pre>近|约|超过|逾|不足)?(?<![零〇一二两三四五六七八九十百千万亿\d])(?P<n>[一二两三四五六七八九])成"
                    r"(?![为功立都长果效员熟就型本份绩])(?P<post>以上|左右)?")
# 2/3的学校: a fraction written with a slash, not a date (2024/3/5) or a ratio in a code.
SLASH_FRACTION = re.compile(r"(?<![\d/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?![\d/.])(?=的|以上|左右|[\u4e00-\u9fff])")
