"""Map what a figure counts to a canonical metric key from the taxonomy (nlp/data/taxonomy.yaml or the user's)."""
from __future__ import annotations

from typing import Any


class Taxonomy:
    def __init__(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data
        self._by_unit: dict[str, list[tuple[str, dict[str, list[str]]]]] = {}
        for key, entry in data.items():
            words = {lang: [w.lower() for w in entry.get(lang, [])] for lang in entry if lang not in ("label", "units")}
            for unit in entry["units"]:
                self._by_unit.setdefault(unit, []).append((key, words))

    def keys(self) -> list[str]:
        return list(self.data)

    def labels(self) -> dict[str, str]:
        """metric key -> its human label."""
        return {k: v.get("label", k) for k, v in self.data.items()}

    def classify(self, counted: str | None, context: str, unit: str, lang: str) -> str | None:
        """The first key whose keywords occur in what the figure counts; for money with no such noun, in its clause.

        Two passes, so that a clause mentioning 资金 cannot claim a figure whose own noun says 投资.
        """
        counted_l = (counted or "").lower()
        keys = self._by_unit.get(unit, [])
        for key, words in keys:
            lang_words = words.get(lang, [])
            if "" in lang_words or (counted_l and any(w in counted_l for w in lang_words)):
                return key
        if unit == "yuan":
            context_l = context.lower()
            for key, words in keys:
                if any(w and w in context_l for w in words.get(lang, [])):
                    return key
        return None
