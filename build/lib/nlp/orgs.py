"""Organisations named in a report: colleges, enterprises, bureaus.

English names come from spaCy's ORG entities plus a suffix rule ("... Vocational
College"), since the small model misses many long Chinese institution names.
Chinese names have no model offline: a name is the run of characters before
a suffix (学院, 有限公司, 局 ...) back to a stop character.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nlp.lexicon import alternation
from nlp.zh_words import tag


def normalise(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" ,.;:\"'“”")
    name = re.sub(r"\s*-\s*", "-", name)
    return re.sub(r"^(?:The|the)\s+", "", name)


def _trim_leading(text: str, s: int, e: int, stop: set[str]) -> tuple[int, str]:
    """Drop sentence-initial words ("As", "The", "Opinions of the") from the front of a candidate."""
    name = text[s:e]
    while True:
        m = re.match(r"(\S+)[ \t]+(?:(?:of|the|for|and)[ \t]+)*", name)
        if not m or m.group(1) not in stop or m.end() >= len(name):
            break
        s += m.end()
        name = name[m.end():]
    return s, name


class EnglishOrgs:
    """Names ending in an organisation word, plus spaCy ORG entities that end in one (precision over recall)."""

    def __init__(self, data: dict[str, Any]) -> None:
        suffixes = alternation(data["en"])
        word = r"(?:[A-Z][\w&.-]*|of|and|for|the|de)"
        # Words are joined by spaces only: a name never runs across a line break.
        self.name_re = re.compile(rf"\b((?:[A-Z][\w&.-]*)(?:[ \t]+{word}){{0,8}}?[ \t]+{suffixes}"
                                  rf"(?:[ \t]*,?[ \t]*(?:Ltd\.|Co\., Ltd\.))?)(?![\w])")
        self.suffix_re = re.compile(suffixes + r"\W*$")
        self.leading_stop = set(data["en_leading_stop"])

    def __call__(self, text: str, ents: list[tuple[int, int, str]],
                 is_place: Callable[[str], bool] = lambda _: False) -> list[tuple[int, int, str]]:
        return find_en(self, text, ents, is_place)


def find_en(rules: EnglishOrgs, text: str, ents: list[tuple[int, int, str]],
            is_place: Callable[[str], bool] = lambda _: False) -> list[tuple[int, int, str]]:
    found: dict[tuple[int, int], str] = {}
    suffix = rules.suffix_re
    for m in rules.name_re.finditer(text):
        s, name = _trim_leading(text, *m.span(1), rules.leading_stop)
        if len(name.split()) >= 2:
            found[(s, m.end(1))] = normalise(name)
    for s, e, label in ents:
        if label != "ORG" or any(s < e2 and s2 < e for s2, e2 in found):
            continue
        s, name = _trim_leading(text, s, e, rules.leading_stop)
        name = normalise(name)
        if len(name.split()) >= 2 and suffix.search(name) and not is_place(name) and not re.search(r"[\"“”\n]", name):
            found[(s, e)] = name
    return sorted((s, e, n) for (s, e), n in found.items())


class ChineseOrgs:
    """Chinese names: the run before a suffix, trimmed of leading verbs and connectors, and only
    kept when something in it is a proper noun (a place, a brand), so 产教联合体 alone is not a name."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.name_re = re.compile(rf"[^{re.escape(data['zh_stop'])}\d\s]{{2,24}}?{alternation(data['zh'], False)}")
        self.lead = sorted(data["zh_leading_stop"], key=len, reverse=True)
        self.suffixes = sorted(data["zh"], key=len, reverse=True)
        self.inner_cut = data["zh_inner_cut"]
        self.proper_flags = tuple(data["zh_proper_flags"])

    def __call__(self, text: str, is_place: Callable[[str], bool] = lambda _: False) -> list[tuple[int, int, str]]:
        return find_zh(self, text, is_place)


def find_zh(rules: ChineseOrgs, text: str, is_place: Callable[[str], bool] = lambda _: False) -> list[tuple[int, int, str]]:
    lead, suffixes = rules.lead, rules.suffixes
    out = []
    for m in rules.name_re.finditer(text):
        s, name = m.start(), m.group(0)
        changed = True
        while changed:
            changed = False
            for w in lead:
                if name.startswith(w) and len(name) - len(w) >= 3:
                    s, name = s + len(w), name[len(w):]
                    changed = True
        for w in rules.inner_cut:
            i = name.rfind(w)
            if i >= 0 and len(name) - (i + len(w)) >= 3:
                s, name = s + i + len(w), name[i + len(w):]
        # Leading verbs, prepositions, adverbs and conjunctions are not part of a name (认定潍坊职业学院).
        for tok in tag(name):
            if tok.flag[:1] in ("v", "p", "d", "c", "u", "r", "m", "q") and len(name) - len(tok.word) >= 4:
                s, name = s + len(tok.word), name[len(tok.word):]
            else:
                break
        suffix = next((x for x in suffixes if name.endswith(x)), "")
        prefix = name[: len(name) - len(suffix)]
        if len(prefix) < 2:
            continue
        tokens = tag(prefix)
        if not (is_place(prefix) or any(t.flag.startswith(rules.proper_flags) for t in tokens)):
            continue
        out.append((s, m.end(), normalise(name)))
    return out
