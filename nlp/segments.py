"""Language of a text, and where its article body ends (teasers, credits and related links follow)."""
from __future__ import annotations

import re

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def detect_lang(text: str) -> str:
    """'zh' when Chinese characters outweigh Latin letters (a CJK char carries ~ a word: weigh it 3x)."""
    sample = text[:20000]
    cjk = len(CJK.findall(sample))
    latin = len(LATIN.findall(sample))
    return "zh" if cjk * 3 >= latin and cjk > 0 else "en"


class BodyEnd:
    """Where the article body ends, by the markers of nlp/data/markers.yaml ("- END -", 相关阅读 ...)."""

    def __init__(self, markers: dict[str, list[str]]) -> None:
        line = "|".join(re.escape(m) for m in sorted(markers["line"], key=len, reverse=True))
        anywhere = "|".join(re.escape(m) for m in sorted(markers["anywhere"], key=len, reverse=True))
        self.line_re = re.compile(rf"^[ \t\u3000]*(?:{line})(?:[ \t]*$|[\s:：])", re.M | re.I)
        self.any_re = re.compile(anywhere, re.I)

    def __call__(self, text: str) -> int:
        """Offset where the article body ends; len(text) when no marker is found.

        A marker in the first 15% of the text (and first 300 characters) is taken
        for navigation, not for the end of the article.
        """
        floor = min(300, len(text) * 15 // 100)
        ends = [m.start() for m in self.line_re.finditer(text) if m.start() > floor]
        ends += [m.start() for m in self.any_re.finditer(text) if m.start() > floor]
        return min(ends) if ends else len(text)


SENT_END_ZH = re.compile(r"[^。！？!?；;\n]*[。！？!?；;\n]?")


def zh_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans for Chinese text (jieba gives no sentence boundaries)."""
    spans = []
    for m in SENT_END_ZH.finditer(text):
        if m.end() > m.start() and text[m.start():m.end()].strip():
            spans.append((m.start(), m.end()))
    return spans


MAX_SENTENCE_CHARS = 1000
SOFT_BREAK = re.compile(r"[\s,，、:：)）]")


def bounded(spans: list[tuple[int, int]], text: str, limit: int = MAX_SENTENCE_CHARS) -> list[tuple[int, int]]:
    """Sentences cut to at most `limit` characters: at a line break, else at a space or comma, else hard.

    Why: a text with no sentence ends (a list of figures, a table flattened to lines) would otherwise be one
    sentence that every figure in it copies and scans again, which makes extraction quadratic in its length.
    No real sentence is this long; a figure's context is within a few hundred characters of it.
    """
    out: list[tuple[int, int]] = []
    for s, e in spans:
        while e - s > limit:
            window_end = s + limit
            cut = text.rfind("\n", s + 1, window_end)
            if cut <= s:
                soft = [m.end() for m in SOFT_BREAK.finditer(text, s + limit // 2, window_end)]
                cut = soft[-1] if soft else window_end
            else:
                cut += 1
            out.append((s, cut))
            s = cut
        if e > s:
            out.append((s, e))
    return out
