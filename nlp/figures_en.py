"""Find figures in English text: where a quantity is, its value, unit and qualifier.

Why our own grammar rather than spaCy's CARDINAL/MONEY/PERCENT entities: the
small model mislabels years, ordinals and plan names as quantities and
splits "30%of" or "RMB45 million" unpredictably; a character-level grammar
built from nlp/data/lexicon.yaml finds every candidate, and the parse is
used afterwards to decide what it counts and whether it is a real figure.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nlp.lexicon import alternation
from nlp.numbers import parse_digits, parse_en_words


@dataclass
class Candidate:
    start: int
    end: int
    value: float
    value_max: float | None
    unit: str  # provisional: count is refined to people by the counted noun
    approx: str | None
    bare: bool  # a number with no unit, currency or multiplier
    words: bool  # written in words

    def text_of(self, text: str) -> str:
        return text[self.start:self.end]


DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"


def build_grammar(lex: dict[str, Any]) -> tuple[re.Pattern[str], dict[str, str]]:
    """The figure pattern and the qualifier table, from the English lexicon."""
    word_vocab = list(lex["word_units"]) + list(lex["word_tens"]) + ["hundred"]
    w = alternation([x for x in word_vocab if " " not in x])
    words_num = rf"(?:a\s+dozen|{w}(?:(?:[\s-]+|\s+and\s+){w})*)"
    num = rf"(?:{DIGITS}|{words_num})"
    mult = alternation([m for m in lex["multipliers"] if len(m) > 1])
    approx_map: dict[str, str] = {}
    for key, phrases in lex["approx"].items():
        for p in phrases:
            approx_map[p.lower()] = key
    after_map: dict[str, str] = {}
    for key, phrases in lex["approx_after"].items():
        for p in phrases:
            after_map[p.lower()] = key
    cur_before = alternation([c for cs in lex["currency_before"].values() for c in cs])
    units_after = (
        [c for cs in lex["currency_after"].values() for c in cs]
        + lex["percent"] + list(lex["area_m2"]) + lex["person_times"]
        + lex["extra_units"]
    )
    # "100,000-square-meter": units may be joined by hyphens as well as spaces.
    unit = alternation(units_after).replace(r"\s+", r"[\s-]+")
    rng = r"(?:\s*(?:to|-|–|—|~|～)\s*)"
    pattern = (
        rf"(?<![\w.,/+\-])(?:(?P<approx>{alternation(list(approx_map))})\s+)?"
        rf"(?:(?P<cur>{cur_before})\s?)?"
        rf"(?P<num>{num})(?:\s*(?P<mult>{mult}))?"
        rf"(?:{rng}(?:{cur_before}\s?)?(?P<num2>{num})(?:\s*(?P<mult2>{mult}))?)?"
        rf"(?:[\s-]*(?P<unit>{unit}))?"
        rf"(?:(?:\s+|-)(?P<after>{alternation([a for a in after_map if not a.startswith('-')])}))?"
    )
    return re.compile(pattern, re.IGNORECASE), {**{f"pre:{k}": v for k, v in approx_map.items()}, **{f"post:{k}": v for k, v in after_map.items()}}


def _value(num: str, mult: str | None, lex: dict[str, Any]) -> float | None:
    v = parse_digits(num) if num[0].isdigit() else parse_en_words(num, lex)
    if v is None:
        return None
    if mult:
        v *= lex["multipliers"][mult.lower()]
    return v


def _unit_of(cur: str | None, unit: str | None, lex: dict[str, Any]) -> tuple[str, float]:
    if unit:
        u = re.sub(r"[\s-]+", " ", unit).lower()
        u = {"square meter": "square meters", "square metre": "square metres", "square kilometer": "square kilometers",
             "square kilometre": "square kilometres", "person time": "person times"}.get(u, u)
        if u in {x.lower() for x in lex["percent"]} or u.startswith("percentage point"):
            return "percent", 1.0
        for name, factor in lex["area_m2"].items():
            if u == name.lower().replace("-", " "):
                return "area_m2", float(factor)
        if u in {x.lower().replace("-", " ") for x in lex["person_times"]}:
            return "person_times", 1.0
        if u in {x.lower() for x in lex["currency_after"]["yuan"]}:
            return "yuan", 1.0
        return "other", 1.0
    if cur:
        return ("yuan" if cur in lex["currency_before"]["yuan"] else "other"), 1.0
    return "count", 1.0


# After a scheme's name ("its 2345 strategy is ..."): words that end the noun phrase; "" is the end of the text.
FUNCTION_WORDS = frozenset(("", "and", "or", "of", "to", "for", "in", "on", "at", "by", "with", "is", "was", "are",
                            "were", "has", "have", "that", "which", "will", "would", "as", "from", "the", "a", "an"))


def value_above_one(num: str, lex: dict[str, Any]) -> bool:
    value = parse_en_words(num, lex) if not num[0].isdigit() else parse_digits(num)
    return value is not None and value > 1


def _word_before(text: str, pos: int) -> str:
    m = re.search(r"([A-Za-z][A-Za-z.:]*)\s*$", text[max(0, pos - 30):pos])
    return m.group(1) if m else ""


def _word_after(text: str, pos: int) -> str:
    m = re.match(r"\s*(-?\s?[A-Za-z][A-Za-z'.\-]*)", text[pos:pos + 40])
    return m.group(1).replace(" ", "") if m else ""


class EnglishFigures:
    """Figure candidates in English text, by the grammar built from one lexicon."""

    def __init__(self, lex: dict[str, Any]) -> None:
        self.lex = lex
        self.grammar = build_grammar(lex)
        self.fraction_res = build_fraction_res(lex)

    def __call__(self, text: str, limit: int | None = None) -> list[Candidate]:
        return candidates(self, text, limit)


def candidates(rules: EnglishFigures, text: str, limit: int | None = None) -> list[Candidate]:
    """All figure candidates in text[:limit] that survive the label/date/time rules."""
    lex = rules.lex
    pattern, approx_map = rules.grammar
    time_nouns = {t.lower() for t in lex["time_nouns"]}
    months = {m.lower().rstrip(".") for m in lex["months"]}
    labels = set(lex["label_before"])
    code_nouns = {w.lower() for w in lex["code_nouns"]}
    anaphora = {w.lower() for w in lex["anaphora_before_word_number"]}
    place_nouns = {w.lower() for w in lex["place_nouns"]}
    containers = {w.lower() for w in lex["containers"]}
    out: list[Candidate] = []
    end_limit = len(text) if limit is None else limit
    quoted = _short_quotes(text[:end_limit])
    for m in pattern.finditer(text, 0, end_limit):
        num, start, end = m.group("num"), m.start(), m.end()
        if any(qs <= start and end <= qe for qs, qe in quoted):
            continue  # inside a slogan or a name in quotation marks: "four pillars", "3+4"
        num_start, num_end = m.span("num")
        is_words = not num[0].isdigit()
        nxt = text[end:end + 1]
        # Glued to letters or digits ("5G", "COVID-19", "2022.07.29", "11:47"): an identifier or a date.
        plus = nxt == "+" and not text[end + 1:end + 2].isalnum() and not m.group("num2")
        if plus:
            end += 1  # "30+ bases": more than 30
        elif not m.group("unit") and not m.group("mult") and nxt and (nxt.isalnum() or nxt in ":/+×") \
                and not (nxt.isalpha() and text[end - 1] == "%"):
            continue
        if text[end:end + 2] in (".0", ".1", ".2", ".3") and text[end + 1:end + 2].isdigit():
            continue
        before_ch = text[max(0, num_start - 1):num_start]
        if before_ch in "+/×#:" and before_ch:
            continue
        if before_ch == "[" and text[num_end:num_end + 1] == "]":
            continue
        if re.match(r"(?:st|nd|rd|th)\b", text[num_end:num_end + 3], re.I):
            continue
        prev_word = _word_before(text, start)
        if prev_word in labels or prev_word.rstrip(":") in labels:
            continue
        if re.search(rf"\b(?:{alternation(lex['set_of_before'])})\s+of\s+(?:the|its|their|these|those)\s+$",
                     text[max(0, start - 30):start], re.I):
            continue  # "one of the four pilot cities": a set picked from, not a count
        next_word = _word_after(text, end)
        nw = next_word.lower().lstrip("-")
        if not is_words and not m.group("unit") and not m.group("cur") and "," not in num and nw in code_nouns \
                and _word_after(text, text.find(next_word, end) + len(next_word)).lower() in FUNCTION_WORDS:
            continue  # a "2345 strategy": a scheme's name (a count takes the plural, "12 plans"; "22 model schools")
        if nw.rstrip(".,") in months or prev_word.lower().rstrip(".") in months:
            continue
        if not m.group("unit") and (nw in time_nouns or nw.rstrip(".,;:!?)") in time_nouns or next_word.lower() in time_nouns
                                    or re.match(r"-?\s?(year|day|month|week|hour)s?\b", next_word.lower())):
            continue
        if not is_words and (re.search(r"\d[ \u00a0]$", text[max(0, num_start - 2):num_start])
                             or (not m.group("unit") and not m.group("mult") and re.match(r"[ \u00a0]\d", text[end:end + 2]))):
            continue  # "1 1 districts": a number split by the translation; which number is unknowable
        if not is_words and not m.group("unit") and not m.group("cur") and not m.group("mult"):
            digits = num.replace(",", "")
            if "," not in num and "." not in num and (len(digits) >= 7 or (digits.startswith("0") and len(digits) > 1)):
                continue  # phone, document or ID number
            if re.fullmatch(r"(19|20)\d\d", num):
                nxt_word = re.match(r"\s+([a-z][a-z-]*)", text[end:end + 30])
                if not nxt_word or not nxt_word.group(1).endswith("s") or nxt_word.group(1) in lex["not_counted_after_year"]:
                    continue  # a year ("in 2021 it opened"), unless it counts something ("2000 students")
        if is_words:
            word_end = text[num_end:num_end + 1]
            after_of = text[end:end + 24].lower()
            counts_theirs = nw == "of" and value_above_one(num, lex) and any(
                re.match(rf"\s*of\s+{re.escape(p)}\b", after_of) for p in lex["possessive_after_of"])
            if word_end == "-" or (nw in lex["not_after_number_word"] and not counts_theirs):
                continue
            if prev_word.lower() in anaphora and nw.rstrip(".,;:") in place_nouns:
                continue  # "the three provinces": places already named, not a count of anything
            if num.lower() == "one" and nw.rstrip(".,") in containers:
                continue  # "one group of figures": an article
            if prev_word.lower() in lex["not_before_number_word"] or (num.lower() == "one" and prev_word.lower() in lex["not_before_one"]):
                continue
            if next_word[:1].isupper() and not m.group("unit"):
                continue  # part of a name: "Three Gorges", "Five-Year Plan"
            if not next_word and not m.group("unit") and not m.group("mult"):
                continue
        value = _value(num, m.group("mult"), lex)
        if value is None:
            continue
        unit, factor = _unit_of(m.group("cur"), m.group("unit"), lex)
        vmax = None
        if m.group("num2"):
            vmax = _value(m.group("num2"), m.group("mult2") or m.group("mult"), lex)
            if m.group("mult2") and not m.group("mult"):
                value *= lex["multipliers"][m.group("mult2").lower()]
            if vmax is not None and not m.group("mult") and not m.group("unit") and re.fullmatch(r"(19|20)\d\d", num) and re.fullmatch(r"(19|20)\d\d", m.group("num2")):
                continue  # 2021-2025
            if vmax is not None and vmax < value:
                continue  # "3-1" is a score or a label, not a range
        approx = None
        if m.group("approx"):
            approx = approx_map.get("pre:" + re.sub(r"\s+", " ", m.group("approx").lower()))
        if m.group("after"):
            approx = approx_map.get("post:" + re.sub(r"\s+", " ", m.group("after").lower())) or approx
        if plus:
            approx = "more_than"
        bare = not (m.group("unit") or m.group("cur") or m.group("mult"))
        if vmax is not None and prev_word.lower() == "from" and re.match(r"\s*to\s", text[m.end("mult") if m.group("mult")
                                                                                         else num_end:m.start("num2")]):
            # "rose from 54 to 68": where it started and where it got to, two figures, not a range
            first_end = m.end("mult") if m.group("mult") else num_end
            out.append(Candidate(start, first_end, value * factor, None, unit, approx, bare, is_words))
            out.append(Candidate(m.start("num2"), end, vmax * factor, None, unit, None, bare, is_words))
            continue
        out.append(Candidate(
            start=start, end=end, value=value * factor,
            value_max=None if vmax is None else vmax * factor,
            unit=unit, approx=approx, bare=bare, words=is_words,
        ))
    return _with_fractions(rules, text[:end_limit], out)


QUOTES = re.compile(r"[\"“”‘’']([^\"“”‘’'\n]{1,40})[\"“”’']")


def _short_quotes(text: str) -> list[tuple[int, int]]:
    """Spans of short quoted strings: programme names and slogans, not reported quantities."""
    return [m.span(1) for m in QUOTES.finditer(text) if len(m.group(1).split()) <= 6]


def build_fraction_res(lex: dict[str, Any]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    names = alternation(list(lex["fractions"]))
    words = alternation(list(lex["word_units"]) + list(lex["word_tens"]))
    qualifiers = "|".join(w.replace(" ", r"\s+") for w in lex["fraction_approx"])
    frac = re.compile(rf"(?<![\w-])(?P<approx>(?:{qualifiers})\s+)?(?P<f>{names})(?=\s+of\b)", re.I)
    one_in = re.compile(rf"(?<![\w-])one\s+(?:in|out of)\s+(?:every\s+)?(?P<n>\d+|{words})\b", re.I)
    return frac, one_in


def _with_fractions(rules: EnglishFigures, text: str, out: list[Candidate]) -> list[Candidate]:
    """Fractions as percentages: "one-fifth of", "half of", "one in every five"."""
    frac, one_in = rules.fraction_res
    fractions = {k.lower(): v for k, v in rules.lex["fractions"].items()}
    extra: list[Candidate] = []
    for m in frac.finditer(text):
        key = re.sub(r"\s+", " ", m.group("f").lower())
        approx = None
        if m.group("approx"):
            approx = rules.lex["fraction_approx"][re.sub(r"\s+", " ", m.group("approx").strip().lower())]
        extra.append(Candidate(m.start(), m.end(), float(fractions[key]), None, "percent", approx, False, True))
    for m in one_in.finditer(text):
        n = m.group("n")
        value = parse_digits(n) if n[0].isdigit() else parse_en_words(n, rules.lex)
        if value and value > 1:
            # "one in every five" is one figure (20%), not the counts "one" and "five".
            out = [c for c in out if not (c.start < m.end() and m.start() < c.end)]
            extra.append(Candidate(m.start(), m.end(), round(100 / value, 2), None, "percent", None, False, True))
    taken = [(c.start, c.end) for c in out]
    kept = [c for c in extra if not any(s < c.end and c.start < e for s, e in taken)]
    kept = [c for c in kept if not any(o is not c and o.start <= c.start and c.end <= o.end and (o.end - o.start) > (c.end - c.start) for o in kept)]
    return sorted(out + kept, key=lambda c: c.start)
