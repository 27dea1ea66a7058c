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
        self.measures: dict[str, dict[str, str]] = {}  # language -> measure word -> the key it counts
        for key, entry in data.items():
            words = {lang: [w.lower() for w in v] for lang, v in entry.items()
                     if lang not in ("label", "units", "refines", "named_by_sentence", "measure_words")}
            for lang, measures in entry.get("measure_words", {}).items():
                for m in measures:
                    self.measures.setdefault(lang, {}).setdefault(m, key)
            for unit in entry["units"]:
                self._by_unit.setdefault(unit, []).append((key, words))
            if entry.get("refines"):
                self.refined_by.setdefault(entry["refines"], []).append(key)
        # Kinds a sentence can name for a bare general noun anywhere in it (a list of integration enterprises
        # and "64家企业入选"); a kind of school named in a sentence that lists several kinds cannot.
        self.sentence_kinds = {key for key, entry in data.items() if entry.get("named_by_sentence")}

    # Amounts whose phrase often names who spent or where, not what ("the city has invested ¥3.3 billion",
    # "24 percent staying in Yiwu for employment"): with no key from it, the clause's nearest keyword decides.
    AMOUNT_UNITS = frozenset(("yuan", "percent"))

    def keys(self) -> list[str]:
        return list(self.data)

    def labels(self) -> dict[str, str]:
        """metric key -> its human label."""
        return {k: v.get("label", k) for k, v in self.data.items()}

    def classify(self, counted: str | None, context: str, unit: str, lang: str, at: int | None = None,
                 sentence: str = "", figure: str = "") -> str | None:
        """The metric of a figure: by what it counts, else by the words of its clause nearest to it.

        context is the figure's clause, `at` the figure's offset in it, `sentence` its whole sentence. Steps:
        1. the keys whose keywords occur in the counted noun; in English only those that name its head
           ("professional teaching standards" are standards: no key) or a kind of one that does ("higher
           vocational colleges"); of a key and a kind of it, the kind; of unrelated keys, the one reaching
           furthest into the head ("school-enterprise cooperation projects": projects);
        2. a general key (cooperating_enterprises) gives way to a kind of it that the clause names after the figure
           ("23家企业被认定为…产教融合型企业"), or, when the noun is only the general word (企业, enterprises) and
           the kind is `named_by_sentence`, that its sentence names ("…产教融合型企业名单，64家企业入选");
        3. with no noun, or a vague one (人数, 市级), the key of the figure's measure word (`figure` is its text:
           "市级96家" counts enterprises, of the kind its sentence names), else the keyword nearest the figure in
           its clause.
        In Chinese, as in English, the head comes last: of keys in "本科专业", the one ending nearest the end.
        """
        keys = self._by_unit.get(unit, [])
        by_key = {key: words.get(lang, []) for key, words in keys}
        counted_l = (counted or "").strip().lower()
        context_l = context.lower()
        pos = at if at is not None else len(context_l)
        matched = [key for key, words in by_key.items() if "" in words or (counted_l and any(w in counted_l for w in words))]
        if lang != "zh" and counted_l:
            head_start = counted_l.rfind(" ") + 1
            at_head = {k for k in matched if "" in by_key[k] or any(
                w and counted_l.rfind(w) >= 0 and counted_l.rfind(w) + len(w) > head_start for w in by_key[k])}
            matched = [k for k in matched if k in at_head or any(
                general in at_head for general, kinds in self.refined_by.items() if k in kinds)]
        if counted_l:
            matched.sort(key=lambda k: self._head_distance(counted_l, by_key[k], lang))
        matched = [k for k in matched if not any(kind in matched for kind in self.refined_by.get(k, []))]
        measure = next((k for m, k in self.measures.get(lang, {}).items() if figure.endswith(m)), None)
        if not matched and measure in by_key and self.vague_noun(counted, lang):
            matched = [measure]
        if matched:
            key = matched[0]
            generic = self.generic(counted_l, key, lang)
            for kind in self.refined_by.get(key, []):
                kind_words = by_key.get(kind, [])
                if self._named_after(context_l, pos, kind_words) or (
                        generic and kind in self.sentence_kinds and any(w and w in sentence.lower() for w in kind_words)):
                    return kind
            return key
        if counted_l and counted_l not in self.vague.get(lang, set()) and unit not in self.AMOUNT_UNITS:
            return None  # a noun of its own that no key names (政府机构, job fairs): no metric
        best: tuple[int, str] | None = None
        for key, words in by_key.items():
            for w in filter(None, words):
                i = context_l.find(w)
                while i >= 0:
                    d = pos - (i + len(w)) if i + len(w) <= pos else max(0, i - pos)
                    if best is None or d < best[0]:
                        best = (d, key)
                    i = context_l.find(w, i + 1)
        return best[1] if best else None

    def generic(self, counted: str | None, key: str, lang: str) -> bool:
        """Whether the counted noun is only the key's general word, or nothing at all: a keyword that longer
        keywords of the key or of its kinds contain (企业 in 产教融合型企业, school in vocational school),
        not a kind of its own (技工学校)."""
        if self.vague_noun(counted, lang):
            return True

        def norm(w: str) -> str:
            w = w.strip().lower()
            return w if lang == "zh" else w.rstrip("s")

        word = norm(counted or "")
        family = [norm(w) for k in (key, *self.refined_by.get(key, [])) for w in self.data[k].get(lang, []) if w]
        return word in family and any(word in w and word != w for w in family)

    def vague_noun(self, counted: str | None, lang: str) -> bool:
        """No noun of its own to classify by: nothing, or only vague words and numbers ("national and 917
        provincial level", 人数)."""
        if not counted:
            return True
        vague = self.vague.get(lang, set())
        if counted.lower() in vague:
            return True
        words = counted.lower().replace("-", " ").split() if lang != "zh" else [counted]
        return all(w in vague or w in ("and", "or", "level") or w.replace(",", "").replace(".", "").isdigit()
                   for w in words)

    def of_subset(self, metric: str | None, counted: str | None, whole: list[str | None], lang: str) -> str | None:
        """The metric of a subset ("of which 6 schools", "(363 national and 917 provincial)"): that of the figure
        it is part of (the nearest before it, last in `whole`) when it names none of its own, or a kind of its
        general one ("senior vocational schools … of which 6 schools": higher vocational colleges)."""
        for prior in reversed(whole):
            if prior is None:
                continue
            if metric is None and self.vague_noun(counted, lang):
                return prior
            if metric is not None and prior in self.refined_by.get(metric, []) and self.generic(counted, metric, lang):
                return prior
            if prior == metric:
                return metric
        return metric

    @staticmethod
    def _head_distance(phrase: str, words: list[str], lang: str) -> tuple[int, int]:
        """(how far the keyword's last match ends before the phrase's head, minus its length): small is head-like."""
        best = (len(phrase) + 1, 0)
        for w in words:
            i = phrase.rfind(w) if w else -1
            if i >= 0:
                # Up to "es" short of the end is still the head ("college" in "colleges"); then the longer keyword.
                slack = 0 if lang == "zh" else 2
                best = min(best, (max(0, len(phrase) - (i + len(w)) - slack), -len(w)))
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
