"""Traditional Chinese read as simplified, offset for offset.

Why: every rule file (lexicon, taxonomy, gazetteer, cues) is written in simplified characters, while some
reports come in traditional ones (萬, 億, 個, 專業, 實訓, 學院). OpenCC's t2s conversion maps them; the
components match on the converted text and take what they report (figure text, sentence, mentions) from
the original, which works because the conversion keeps every character in its place. Where a phrase
conversion would change the length, the text is converted one character at a time instead.
"""
from __future__ import annotations

import functools
import re

# Characters that exist only in traditional script among common ones: a text without any is left alone
# (converting costs time, and simplified text converts to itself).
_TRADITIONAL_HINT = re.compile("[萬億個專實訓學職業開與這們來對會為國時說過當後發產於應經濟區縣"
                               "園師資補貼設務礎級覽優營運總數據層]")


@functools.cache
def _converter() -> object:
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=4096)
def _char(c: str) -> str:
    out: str = _converter().convert(c)  # type: ignore[attr-defined]
    return out if len(out) == 1 else c


def to_simplified(text: str) -> str:
    """The same text in simplified characters, the same length, each character where it was."""
    if not _TRADITIONAL_HINT.search(text):
        return text
    out: str = _converter().convert(text)  # type: ignore[attr-defined]
    if len(out) == len(text):
        return out
    return "".join(_char(c) for c in text)
