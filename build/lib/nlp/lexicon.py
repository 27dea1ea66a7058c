"""Regular expressions built from word lists (the lists themselves live in nlp/data/*.yaml)."""
from __future__ import annotations

import re
from typing import Any


def alternation(words: list[str] | Any, flags_word: bool = True) -> str:
    """A regex alternation, longest first, so that 'more than' wins over 'more'."""
    items = sorted({str(w) for w in words}, key=len, reverse=True)
    parts = []
    for w in items:
        p = re.escape(w).replace(r"\ ", r"\s+")
        if flags_word and w[-1:].isalpha():
            p += r"(?![A-Za-z])"
        parts.append(p)
    return "(?:" + "|".join(parts) + ")"
