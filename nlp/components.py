"""spaCy pipeline components, registered as factories like any spaCy component.

Each does one job and leaves plain data on the Doc (spaCy ships Docs
between processes as msgpack when n_process > 1, so nothing richer):
- cityfacts_body:    doc._.body_end: where teasers and credits start
- cityfacts_places:  doc._.places: [(start, end, text, adcode)] gazetteer matches in the body
- cityfacts_orgs:    doc._.orgs: [(start, end, name, text)] organisation names in the body
- cityfacts_figures: doc._.facts: [dict of nlp.records.Fact fields], and doc._.main_city
Their data comes from their config (`data_dir`: a folder of rule files like
nlp/data, default the packaged one; `taxonomy`: another taxonomy file) and
is loaded when the factory builds the component. What differs between
languages is behind nlp/languages (rules_for(nlp.lang)).
"""
from __future__ import annotations

import re
from dataclasses import asdict
from operator import itemgetter
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp.attribution import Attribution
from nlp.languages import LanguageRules, rules_for
from nlp.places import PlaceMatch
from nlp.qualifiers import Qualified, Qualifiers
from nlp.records import Fact
from nlp.resources import Resources, load_resources
from nlp.scripts import to_simplified
from nlp.segments import BodyEnd, bounded
from nlp.spans import ByStart

for _name, _default in (("body_end", 0), ("places", None), ("orgs", None), ("facts", None), ("main_city", None)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)

DATA = {"data_dir": None}


def doc_text(doc: Doc) -> str:
    """doc.text joins every token on each call; the components read it once per document."""
    text = doc.user_data.get("cityfacts_text")
    if text is None:
        text = doc.user_data["cityfacts_text"] = doc.text
    return text


# Terminal escape sequences (ESC [ 0 m) and other control characters carry digits that are not figures.
CONTROL = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|[\x00-\x08\x0b-\x1f\x7f]")


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


def match_text(doc: Doc) -> str:
    """The text the rules match on: traditional characters read as simplified (nlp/scripts.py) and control
    sequences blanked, each at its own offset, so what is reported is sliced from doc_text."""
    text = doc.user_data.get("cityfacts_match")
    if text is None:
        text = doc.user_data["cityfacts_match"] = CONTROL.sub(_blank, to_simplified(doc_text(doc)))
    return text


def body_limit(doc: Doc) -> int:
    return doc._.body_end or len(doc_text(doc))


class Component:
    """What every component has: the rule files, and the rules of the pipeline's language."""

    def __init__(self, nlp: Language, data_dir: str | None, taxonomy: str | None = None) -> None:
        self.res: Resources = load_resources(data_dir, taxonomy)
        self.rules: LanguageRules = rules_for(nlp.lang or "", self.res)


class BodyComponent(Component):
    def __init__(self, nlp: Language, data_dir: str | None) -> None:
        super().__init__(nlp, data_dir)
        self.body_end = BodyEnd(self.res.markers)

    def __call__(self, doc: Doc) -> Doc:
        doc._.body_end = self.body_end(match_text(doc))
        return doc


class PlacesComponent(Component):
    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        found = self.res.gazetteer.find(match_text(doc)[:body_limit(doc)], self.rules.code)
        doc._.places = [(m.start, m.end, text[m.start:m.end], m.place.adcode) for m in found]
        return doc


class OrgsComponent(Component):
    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        doc._.orgs = [(s, e, name, text[s:e]) for s, e, name in self.rules.orgs(doc, match_text(doc), body_limit(doc))]
        return doc


CLAUSE_BREAK = re.compile(r"[,，;；。:：!?！？]")


def clause_of(text: str, start: int, end: int, sent: tuple[int, int]) -> tuple[str, int]:
    """The clause around a figure and the figure's offset in it: a figure is classified by the words near it,
    not by the whole sentence."""
    left = max((m.end() for m in CLAUSE_BREAK.finditer(text, sent[0], start)), default=sent[0])
    m = CLAUSE_BREAK.search(text, end, sent[1])
    return text[left:m.start() if m else sent[1]], start - left


class FiguresComponent(Component):
    def __init__(self, nlp: Language, data_dir: str | None, taxonomy: str | None) -> None:
        super().__init__(nlp, data_dir, taxonomy)
        self.attribution = Attribution(self.res.attribution, self.res.gazetteer)
        self.qualifiers = Qualifiers(self.res.qualifiers[self.rules.code], self.res.qualifiers, self.rules.code)
        self.caps = {unit: float(cap) for unit, cap in self.res.lexicon["caps"].items()}

    def _elided(self, counted: str | None) -> bool:
        """No noun of its own: nothing, or only a place name (the place the figure is for)."""
        if not counted:
            return True
        found = self.res.gazetteer.find(counted, self.rules.code)
        return bool(found) and found[0].start == 0 and found[-1].end >= len(counted.rstrip("市省县区 "))

    def __call__(self, doc: Doc) -> Doc:
        original, text, rules, gaz = doc_text(doc), match_text(doc), self.rules, self.res.gazetteer
        limit = body_limit(doc)
        org_spans = [(s, e) for s, e, _, _ in (doc._.orgs or [])]
        places = [PlaceMatch(s, e, t, gaz.by_code[code]) for s, e, t, code in (doc._.places or [])]
        main = self.attribution.main_city(places, text[:limit], org_spans)
        doc._.main_city = main
        sents = bounded(rules.sentences(doc, text), text)
        self.qualifiers.plan_genre(text[:limit])
        facts: list[Fact] = []
        extra: list[dict[str, Any]] = []  # what waits for the publication date (nlp.qualifiers.resolve_year)
        previous: tuple[tuple[int, int], Qualified] | None = None
        metrics_in: dict[str, list[str | None]] = {}  # sentence -> metrics of its facts so far (for subsets)
        orgs = ByStart([(s, e, name) for s, e, name, _ in (doc._.orgs or [])], itemgetter(0), itemgetter(1))
        located = self.attribution.prepare(places, org_spans, text)
        si = 0
        for c in rules.candidates(text, limit):
            if "^" in text[max(0, c.start - 1):c.end + 1]:
                continue  # "10^400", "2^10": a power written out, not a figure (and not two)
            while si < len(sents) - 1 and sents[si][1] <= c.start:
                si += 1
            sent = sents[si] if sents else (0, len(text))
            refined = rules.counted(doc, text, c)
            if refined is None:
                continue
            counted, unit = refined
            if unit == "count" and rules.is_people(counted):
                unit = "people"
            if not (0 <= c.value <= self.caps.get(unit, float("inf"))) or c.value != c.value:
                continue  # absurd for its unit (1e30 yuan): not a figure anyone reported
            sentence = original[sent[0]:sent[1]].strip()
            if facts and facts[-1].sentence == sentence and facts[-1].unit == unit and self._elided(counted):
                # "济南市56家，青岛市48家" / "Jinan has 56 such enterprises, Qingdao 48": the noun is not repeated
                counted = facts[-1].counted
            city = self.attribution.figure_city(c.start, sent, located, main, c.end)
            if unit == "count" and self.attribution.counts_places(c.text_of(text), counted):
                city = main  # "济南、淄博……等七市", "nine cities including ...": the article's own count
            clause, at = clause_of(text, c.start, c.end, sent)
            metric = self.res.taxonomy.classify(counted, clause, unit, rules.code, at, text[sent[0]:sent[1]],
                                                c.text_of(text))
            q = self.qualifiers(text, c.start, c.end, sent, counted, metric, located.places, orgs, unit,
                                before=previous[1] if previous and previous[0] == sent else None)
            if q.subset:
                metric = self.res.taxonomy.of_subset(metric, counted, metrics_in.get(sentence, []), rules.code)
            metrics_in.setdefault(sentence, []).append(metric)
            previous = (sent, q)
            facts.append(Fact(
                value=round(c.value, 2), value_max=None if c.value_max is None else round(c.value_max, 2),
                unit=unit, approx=c.approx, counted=counted, metric=metric,
                city=city, start=c.start, end=c.end, text=original[c.start:c.end], sentence=sentence,
                status=q.status, aspect=q.aspect, level=q.level, year=q.year, scope=q.scope, part=q.part,
            ))
            extra.append({"year_offset": q.year_offset, "target_year": q.target_year})
        doc._.facts = [{**asdict(f), **x} for f, x in zip(facts, extra, strict=True)]
        doc.user_data.pop("cityfacts_text", None)
        doc.user_data.pop("cityfacts_match", None)
        return doc


@Language.factory("cityfacts_body", assigns=["doc._.body_end"], default_config=DATA)
def make_body(nlp: Language, name: str, data_dir: str | None) -> BodyComponent:
    return BodyComponent(nlp, data_dir)


@Language.factory("cityfacts_places", assigns=["doc._.places"], requires=["doc._.body_end"], default_config=DATA)
def make_places(nlp: Language, name: str, data_dir: str | None) -> PlacesComponent:
    return PlacesComponent(nlp, data_dir)


@Language.factory("cityfacts_orgs", assigns=["doc._.orgs"], requires=["doc._.body_end"], default_config=DATA)
def make_orgs(nlp: Language, name: str, data_dir: str | None) -> OrgsComponent:
    return OrgsComponent(nlp, data_dir)


@Language.factory("cityfacts_figures", assigns=["doc._.facts", "doc._.main_city"],
                  requires=["doc._.body_end", "doc._.places", "doc._.orgs"],
                  default_config={"data_dir": None, "taxonomy": None})
def make_figures(nlp: Language, name: str, data_dir: str | None, taxonomy: str | None) -> FiguresComponent:
    return FiguresComponent(nlp, data_dir, taxonomy)


COMPONENTS = ("cityfacts_body", "cityfacts_places", "cityfacts_orgs", "cityfacts_figures")


def config_for(name: str, data_dir: str | None, taxonomy: str | None) -> dict[str, Any]:
    """The config a component is added with (only the figures read a taxonomy)."""
    return {"data_dir": data_dir, **({"taxonomy": taxonomy} if name == "cityfacts_figures" else {})}
