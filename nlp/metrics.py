"""Map what a figure counts to a canonical metric key from the taxonomy (nlp/data/taxonomy.yaml or the user's).

The metric keys are a public contract (../shared/eval/QUALIFIERS.md): keys are added, never renamed.
"""
from __future__ import annotations

from typing import Any


class Taxonomy:
    def __init__(self, data: dict[str, dict[str, Any]], vague: dict[str, list[str]] | None = None) -> None:
        """data: the taxonomy file; vague: per language, counted nouns that say nothing of their own (人数, number)."""
        self.data = data
        self.vague = {lang: {w.lower() for w in words} for lang, words in (vague or {}).items()}
        self._by_unit: dict[str, list[tuple[str, dict[str, list[str]]]]] = {}
        self.refined_by: dict[str, list[str]] = {}  # general key -> keys that name a kind of it
        for key, entry in data.items():
            words = {lang: [w.lower() for w in v] for lang, v in entry.items()
                     if lang not in ("label", "units", "refines", "named_by_sentence")}
            for unit in entry["units"]:
                self._by_unit.setdefault(unit, []).append((key, words))
            if entry.get("refines"):
                self.refined_by.setdefault(entry["refines"], []).append(key)
        # Kinds a sentence can name for a bare general noun anywhere in it (a list of integration enterprises
        # and "64家企业入选"); a kind of school named in a sentence that lists several kinds cannot.
        self.sentence_kinds = {key for key, entry in data.items() if entry.get("named_by_sentence")}

    def keys(self) -> list[str]:
        return list(self.data)

    def labels(self) -> dict[str, str]:
        """metric key -> its human label."""
        return {k: v.get("label", k) for k, v in self.data.items()}

    def classify(self, counted: str | None, context: str, unit: str, lang: str, at: int | None = None,
                 before: str = "") -> str | None:
        """The metric of a figure: by what it counts, else by the words of its clause nearest to it.

        context is the figure's clause and `at` the figure's offset in it. Three steps:
        1. the key named by the counted noun's head ("school-enterprise cooperation projects": projects), else the
           first key whose keywords occur anywhere in it (so 资金 in the clause cannot claim a figure whose own
           noun says 投资);
        2. a general key (cooperating_enterprises) gives way to a kind of it that the clause names after the figure
           ("23家企业被认定为…产教融合型企业"), or, when the noun is only the general word (企业, enterprises), that
           its sentence names ("…产教融合型企业名单，64家企业入选");
        3. with no key from the noun, the keyword nearest the figure in its clause.
        `before` is the rest of the figure's sentence, outside its clause.
        """
        keys = self._by_unit.get(unit, [])
        counted_l = (counted or "").lower().strip()
        context_l = context.lower()
        pos = at if at is not None else len(context_l)
        matched = [key for key, words in keys if "" in words.get(lang, []) or (
            counted_l and any(w in counted_l for w in words.get(lang, [])))]
        if lang != "zh" and counted_l:
            # An English noun phrase is named by its head: "professional teaching standards" are standards (no key),
            # not majors; a kind still counts through its modifier ("higher vocational colleges").
            head_start = counted_l.rfind(" ") + 1
            at_head = {k for k in matched if "" in dict(keys)[k].get(lang, []) or any(
                w and 0 <= counted_l.rfind(w) and counted_l.rfind(w) + len(w) > head_start
                for w in dict(keys)[k].get(lang, []))}
            matched = [k for k in matched if k in at_head or any(
                general in at_head for general, kinds in self.refined_by.items() if k in kinds)]
        # A kind of a key both name wins over the key ("higher vocational colleges" is not just colleges) ...
        matched = [k for k in matched if not any(kind in matched for kind in self.refined_by.get(k, []))]
        # ... and of unrelated keys, the one whose keyword reaches furthest into the English head noun
        # ("school-enterprise cooperation projects": projects; "industrial colleges": industrial_colleges).
        by_head = sorted(matched, key=lambda k: self._head_distance(counted_l, dict(keys)[k].get(lang, []))) \
            if lang != "zh" else matched
        for key in by_head[:1]:
            generic = counted_l in {w for w in dict(keys)[key].get(lang, []) if w} or (
                lang != "zh" and counted_l.rstrip("s") in {w.rstrip("s") for w in dict(keys)[key].get(lang, []) if w})
            for kind in self.refined_by.get(key, []):
                kind_words = dict(keys).get(kind, {}).get(lang, [])
                if self._named_after(context_l, pos, kind_words) or (
                        generic and kind in self.sentence_kinds and any(w and w in before.lower() for w in kind_words)):
                    return kind
            return key
        if counted_l and counted_l.strip() not in self.vague.get(lang, set()):
            return None  # a noun of its own that no key names (政府机构, job fairs): no metric
        best: tuple[int, str] | None = None
        for key, words in keys:
            for w in words.get(lang, []):
                if not w:
                    continue
                i = context_l.find(w)
                while i >= 0:
                    d = pos - (i + len(w)) if i + len(w) <= pos else max(0, i - pos)
                    if best is None or d < best[0]:
                        best = (d, key)
                    i = context_l.find(w, i + 1)
        return best[1] if best else None

    @staticmethod
    def _head_distance(phrase: str, words: list[str]) -> tuple[int, int]:
        """(how far the keyword's last match ends before the phrase's head, minus its length): small is head-like."""
        best = (len(phrase) + 1, 0)
        for w in words:
            i = phrase.rfind(w) if w else -1
            if i >= 0:
                # Up to "es" short of the end is still the head ("college" in "colleges"); then the longer keyword.
                best = min(best, (max(0, len(phrase) - (i + len(w)) - 2), -len(w)))
        return best

    @staticmethod
    def _named_after(context: str, pos: int, words: list[str]) -> bool:
        """A keyword after the figure, in the same stretch of its clause (no list or other figure between):
        "23家企业被认定为省级产教融合型试点企业", "39 enterprises were rated as ... integration enterprises"."""
        for w in words:
            i = context.find(w, pos) if w else -1
            if i >= 0 and not any(ch.isdigit() or ch in "、;；" for ch in context[pos + 1:i]):
                return True
        return False
