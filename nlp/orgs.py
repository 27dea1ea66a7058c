"""Organisations named in a report: colleges, enterprises, bureaus.

English names come from spaCy's ORG entities plus a suffix rule ("... Vocational
College"), since the small model misses many long Chinese institution names.
Chinese names have no model offline: a name is the run of characters before
a suffix (学院, 有限公司, 局 ...) back to a stop character.
"""
from __future__ import annotations

import functools
import re

from nlp.lexicon import alternation, load_yaml


@functools.cache
def _en_re() -> re.Pattern[str]:
    suffixes = alternation(load_yaml("org_suffixes.yaml")["en"])
    word = r"(?:[A-Z][\w'’&.-]*|of|and|for|the|de)"
    return re.compile(rf"\b((?:[A-Z][\w'’&.-]*)(?:\s+{word}){{0,8}}?\s+{suffixes}(?:\s*,?\s*(?:Ltd\.|Co\., Ltd\.))?)")


@functools.cache
def _zh_re() -> re.Pattern[str]:
    data = load_yaml("org_suffixes.yaml")
    stop = re.escape(data["zh_stop"])
    suffixes = alternation(data["zh"], False)
    return re.compile(rf"[^{stop}\d\s]{{2,24}}?{suffixes}")


def normalise(name: str) -> str:
    name = re.sub(r"\s+", " ", name).strip(" ,.;:\"'“”")
    name = re.sub(r"\s*-\s*", "-", name)
    return re.sub(r"^(?:The|the)\s+", "", name)


def find_en(text: str, ents: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    found: dict[tuple[int, int], str] = {}
    for m in _en_re().finditer(text):
        found[m.span(1)] = normalise(m.group(1))
    for s, e, label in ents:
        if label == "ORG" and not any(s < e2 and s2 < e for s2, e2 in found):
            name = normalise(text[s:e])
            if len(name) > 3 and any(c.isupper() for c in name):
                found[(s, e)] = name
    return sorted((s, e, n) for (s, e), n in found.items())


def find_zh(text: str) -> list[tuple[int, int, str]]:
    out = []
    single = {"局", "厅"}
    for m in _zh_re().finditer(text):
        name = m.group(0)
        if name[-1] in single and len(name) < 3:
            continue
        out.append((m.start(), m.end(), normalise(name)))
    return out
