"""Map what a figure counts to a canonical metric key from nlp/data/taxonomy.yaml."""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

import yaml

from nlp.lexicon import load_yaml


@functools.cache
def taxonomy() -> dict[str, dict[str, Any]]:
    """The packaged taxonomy, or the file named by CITYFACTS_TAXONOMY (users extend without code)."""
    override = os.environ.get("CITYFACTS_TAXONOMY")
    if override:
        data = yaml.safe_load(Path(override).read_text(encoding="utf-8"))
    else:
        data = load_yaml("taxonomy.yaml")
    for key, entry in data.items():
        for field in ("units", "en", "zh"):
            if not isinstance(entry.get(field, []), list):
                raise ValueError(f"taxonomy: key {key!r}: field {field!r} must be a list")
    return data


def classify(counted: str | None, sentence: str, unit: str, lang: str) -> str | None:
    counted_l = (counted or "").lower()
    sentence_l = sentence.lower()
    for key, entry in taxonomy().items():
        if unit not in entry.get("units", []):
            continue
        words = [w.lower() for w in entry.get(lang, [])]
        if "" in words:
            return key
        if counted_l and any(w in counted_l for w in words):
            return key
        if unit == "yuan" and any(w in sentence_l for w in words):
            return key
    return None


def label(key: str) -> str:
    return taxonomy().get(key, {}).get("label", key)
