"""Turn an isolated numeral (digits, English words, Chinese numerals) into a float.

Figure grammars (figures_en, figures_zh) decide *where* a number is; this
module only converts the string once isolated. Chinese numerals go through
cn2an, which is reliable on a clean numeral but not on running text.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import cn2an

FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")


def to_halfwidth(text: str) -> str:
    """Map full-width digits to ASCII one character for one, so offsets are unchanged."""
    return text.translate(FULLWIDTH)


def parse_digits(s: str) -> float | None:
    s = s.replace(",", "").replace(" ", "")
    try:
        return float(s)
    except ValueError:
        return None


def parse_en_words(s: str, lex: dict[str, Any]) -> float | None:
    """'Sixty-five' -> 65, 'two hundred and ten' -> 210, 'a dozen' -> 12 (lex: the English lexicon's number words)."""
    units = {k.lower(): v for k, v in lex["word_units"].items()}
    tens = {k.lower(): v for k, v in lex["word_tens"].items()}
    words = re.split(r"[\s-]+", s.lower().strip())
    if words[:2] == ["a", "dozen"]:
        words = ["dozen"] + words[2:]
    total, current, seen = 0.0, 0.0, False
    for w in words:
        if w == "and":
            continue
        if w in units:
            current += units[w]
        elif w in tens:
            current += tens[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in ("thousand", "million", "billion", "trillion"):
            scale = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}[w]
            total += (current or 1) * scale
            current = 0
        else:
            return None
        seen = True
    return total + current if seen else None


ZH_DIGITS = "零〇一二两三四五六七八九十百千万亿"


def parse_zh(s: str) -> float | None:
    """Chinese numerals, digits, or digits with 万/亿 ('1.6万', '逾万' core '万', '三百')."""
    s = to_halfwidth(s).replace(",", "")
    if not s:
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([万亿千百]*)", s)
    if m:
        value = Decimal(m.group(1))
        for ch in m.group(2):
            value *= {"万": 10**4, "亿": 10**8, "千": 10**3, "百": 10**2}[ch]
        return float(value)
    if s[0] in "十百千万亿":
        s = "一" + s
    s = s.replace("〇", "零")
    try:
        return float(cn2an.cn2an(s, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None
