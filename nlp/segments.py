"""Language of a text, and where its article body ends (teasers, credits and related links follow)."""
from __future__ import annotations

import functools
import re

from nlp.lexicon import load_yaml

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def detect_lang(text: str) -> str:
    """'zh' when Chinese characters outweigh Latin letters (a CJK char carries ~ a word: weigh it 3x)."""
    sample = text[:20000]
    cjk = len(CJK.findall(sample))
    latin = len(LATIN.findall(sample))
    return "zh" if cjk * 3 >= latin and cjk > 0 else "en"


@functools.cache
def _marker_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    data = load_yaml("markers.yaml")
    line = "|".join(re.escape(m) for m in sorted(data["line"], key=len, reverse=True))
    anywhere = "|".join(re.escape(m) for m in sorted(data["anywhere"], key=len, reverse=True))
    return (re.compile(rf"^[ \t\u3000]*(?:{line})(?:[ \t]*$|[\s:：])", re.M | re.I), re.compile(anywhere, re.I))


def body_end(text: str) -> int:
    """Offset where the article body ends; len(text) when no marker is found.

    A marker in the first 15% of the text (and first 300 characters) is taken
    for navigation, not for the end of the article.
    """
    floor = min(300, len(text) * 15 // 100)
    line_re, any_re = _marker_res()
    ends = [m.start() for m in line_re.finditer(text) if m.start() > floor]
    ends += [m.start() for m in any_re.finditer(text) if m.start() > floor]
    return min(ends) if ends else len(text)


SENT_END_ZH = re.compile(r"[^。！？!?；;\n]*[。！？!?；;\n]?")


def zh_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans for Chinese text (jieba gives no sentence boundaries)."""
    spans = []
    for m in SENT_END_ZH.finditer(text):
        if m.end() > m.start() and text[m.start():m.end()].strip():
            spans.append((m.start(), m.end()))
    return spans
