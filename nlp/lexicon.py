"""Load the word lists (nlp/data/*.yaml) the rules are built from, once per process."""
from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml


@functools.cache
def load_yaml(name: str) -> dict[str, Any]:
    text = resources.files("nlp").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def lexicon(lang: str) -> dict[str, Any]:
    return load_yaml("lexicon.yaml")[lang]


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
