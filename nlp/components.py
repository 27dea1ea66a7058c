"""spaCy pipeline components, registered by name like any spaCy component.

Each does one job and leaves its result on the Doc:
- cityfacts_body:    doc._.body_end (where teasers and credits start)
- cityfacts_places:  doc._.places (gazetteer matches in the body; (start, end, text, adcode) once done)
- cityfacts_orgs:    doc._.orgs (organisation spans in the body)
- cityfacts_figures: doc._.facts (figures as dicts of nlp.records.Fact fields) and doc._.main_city
They work for English (after en_core_web_sm's parser) and Chinese (after
the jieba tokenizer); `doc.lang_` chooses the grammar.
"""
from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp import figures_en, figures_zh
from nlp.attribution import figure_city, main_city
from nlp.counted import counted_en, counted_zh
from nlp.lexicon import lexicon, load_yaml
from nlp.metrics import classify
from nlp.orgs import find_en, find_zh
from nlp.places import gazetteer
from nlp.records import Fact
from nlp.segments import body_end, zh_sentences

for _name, _default in (("body_end", 0), ("places", None), ("orgs", None), ("facts", None), ("main_city", None)):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


def doc_text(doc: Doc) -> str:
    """doc.text joins every token on each call; the components read it once per document."""
    text = doc.user_data.get("cityfacts_text")
    if text is None:
        text = doc.user_data["cityfacts_text"] = doc.text
    return text


@Language.component("cityfacts_body")
def body_component(doc: Doc) -> Doc:
    doc._.body_end = body_end(doc_text(doc))
    return doc


@Language.component("cityfacts_places")
def places_component(doc: Doc) -> Doc:
    text = doc_text(doc)
    limit = doc._.body_end or len(text)
    doc._.places = [m for m in gazetteer().find(text[:limit], doc.lang_)]
    return doc


@Language.component("cityfacts_orgs")
def orgs_component(doc: Doc) -> Doc:
    text = doc_text(doc)
    limit = doc._.body_end or len(text)
    gaz = gazetteer()

    def is_place(name: str) -> bool:
        return bool(gaz.find(name, doc.lang_))

    if doc.lang_ == "zh":
        found = find_zh(text[:limit], is_place)
    else:
        ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.end_char <= limit]
        found = find_en(text[:limit], ents, lambda n: any(m.start == 0 and m.end == len(n) for m in gaz.find(n, "en")))
    doc._.orgs = [(s, e, name, text[s:e]) for s, e, name in found]
    return doc


def _sentences(doc: Doc) -> list[tuple[int, int]]:
    if doc.lang_ == "zh":
        return zh_sentences(doc_text(doc))
    if doc.has_annotation("SENT_START"):
        return [(s.start_char, s.end_char) for s in doc.sents]
    return [(0, len(doc_text(doc)))]


CLAUSE_BREAK = re.compile(r"[,，;；。:：!?！？]")


def clause_of(text: str, start: int, end: int, sent: tuple[int, int]) -> str:
    """The clause around a figure: money is classified by the words near it, not by the whole sentence."""
    left = max((m.end() for m in CLAUSE_BREAK.finditer(text, sent[0], start)), default=sent[0])
    m = CLAUSE_BREAK.search(text, end, sent[1])
    return text[left:m.start() if m else sent[1]]


PLACE_WORDS = re.compile(r"(?:[市省县区]|城市|地市|cities|provinces|counties|districts|prefectures|municipalities)$", re.I)


def counts_places(figure_text: str, counted: str | None) -> bool:
    """Whether a figure counts places (七市, 11 cities): it then belongs to the article, not to one of them."""
    return bool(PLACE_WORDS.search(figure_text) or (counted and PLACE_WORDS.search(counted.strip())))


def _numeral_subject(doc: Doc, c: Any) -> bool:
    """'...24 workshops, among which four are still being built': a numeral standing for its noun as a subject."""
    span = doc.char_span(c.start, c.end, alignment_mode="expand")
    if span is None or len(span) != 1:
        return False
    tok = span[0]
    return tok.pos_ == "NUM" and tok.dep_ in ("nsubj", "nsubjpass") and tok.lower_ not in ("one", "zero")


def _elided(counted: str | None, gaz: Any, lang: str) -> bool:
    """No noun of its own: nothing, or only a place name (the place the figure is for)."""
    if not counted:
        return True
    found = gaz.find(counted, lang)
    return bool(found) and found[0].start == 0 and found[-1].end >= len(counted.rstrip("市省县区 "))


def _people(counted: str | None, lang: str) -> bool:
    if not counted:
        return False
    nouns = lexicon(lang)["people_nouns"]
    if lang == "zh":
        return any(counted.endswith(n) for n in nouns)
    last = counted.lower().split()[-1] if counted.split() else ""
    return last in nouns or counted.lower() in nouns


@Language.component("cityfacts_figures")
def figures_component(doc: Doc) -> Doc:
    text, lang = doc_text(doc), doc.lang_
    limit = doc._.body_end or len(text)
    gaz = gazetteer()
    org_spans = [(s, e) for s, e, _, _ in (doc._.orgs or [])]
    places = doc._.places or []
    main = main_city(places, gaz, text[:limit], org_spans)
    doc._.main_city = main
    sents = _sentences(doc)
    facts: list[Fact] = []
    cands = figures_zh.candidates(text, limit) if lang == "zh" else figures_en.candidates(text, limit)
    caps = load_yaml("lexicon.yaml")["caps"]
    si = 0
    for c in cands:
        while si < len(sents) - 1 and sents[si][1] <= c.start:
            si += 1
        sent = sents[si] if sents else (0, len(text))
        unit = c.unit
        if lang == "zh":
            counted = counted_zh(text, c.start, c.end, unit)
            if counted is None and re.search(r"(?:部门|城市|地市)$", c.text_of(text)):
                counted = c.text_of(text)[-2:]  # the classifier is itself the noun: 六部门
        else:
            counted, noun = counted_en(doc, c.start, c.end, money_like=unit != "count")
            if c.words and unit == "count" and noun is None and not _numeral_subject(doc, c):
                continue  # "one" or "two" that counts nothing
            if unit == "count" and counted is None:
                span = doc.char_span(c.start, c.end, alignment_mode="expand")
                if span is not None and span.root.head.lemma_ in lexicon("en")["people_verbs"]:
                    unit = "people"
        if unit == "count" and _people(counted, lang):
            unit = "people"
        if not (0 <= c.value <= float(caps.get(unit, float("inf")))) or c.value != c.value:
            continue  # absurd for its unit (1e30 yuan): not a figure anyone reported
        sentence = text[sent[0]:sent[1]].strip()
        if facts and facts[-1].sentence == sentence and facts[-1].unit == unit and _elided(counted, gaz, lang):
            # "济南市56家，青岛市48家" / "Jinan has 56 such enterprises, Qingdao 48": the noun is not repeated
            counted = facts[-1].counted
        city = figure_city(c.start, sent, places, gaz, main, org_spans, text, c.end)
        if unit == "count" and counts_places(c.text_of(text), counted):
            city = main  # "济南、淄博……等七市", "nine cities including ...": the article's own count
        facts.append(Fact(
            value=round(c.value, 2), value_max=None if c.value_max is None else round(c.value_max, 2),
            unit=unit, approx=c.approx, counted=counted,
            metric=classify(counted, clause_of(text, c.start, c.end, sent), unit, lang),
            city=city,
            start=c.start, end=c.end, text=text[c.start:c.end], sentence=sentence,
        ))
    # Leave plain data on the Doc (spaCy ships Docs between processes as msgpack when n_process > 1).
    doc._.facts = [asdict(f) for f in facts]
    doc._.places = [(m.start, m.end, m.text, m.place.adcode) for m in places]
    doc.user_data.pop("cityfacts_text", None)
    return doc


COMPONENTS = ("cityfacts_body", "cityfacts_places", "cityfacts_orgs", "cityfacts_figures")
