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


def classify(counted: str | None, context: str, unit: str, lang: str) -> str | None:
    """The first key whose keywords occur in what the figure counts; for money with no such noun, in its clause.

    Two passes, so that a clause mentioning 资金 cannot claim a figure whose own noun says 投资.
    """
    counted_l = (counted or "").lower()
    keys = [(key, entry) for key, entry in taxonomy().items() if unit in entry.get("units", [])]
    for key, entry in keys:
        words = [w.lower() for w in entry.get(lang, [])]
        if "" in words or (counted_l and any(w in counted_l for w in words)):
            return key
    if unit == "yuan":
        context_l = context.lower()
        for key, entry in keys:
            if any(w and w.lower() in context_l for w in entry.get(lang, [])):
                return key
    return None


def label(key: str) -> str:
    return taxonomy().get(key, {}).get("label", key)


def labels() -> dict[str, str]:
    """metric key -> its human label, for every key in the taxonomy."""
    return {k: v.get("label", k) for k, v in taxonomy().items()}
