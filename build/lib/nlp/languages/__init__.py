"""The language-specific half of extraction, one module per language behind one interface.

A language module (`nlp/languages/<code>.py`) defines `Rules`, a subclass of
LanguageRules, built from the shared Resources: it makes the base spaCy
pipeline, splits sentences, finds figure candidates, says what a figure
counts, and finds organisation names. The pipeline components
(nlp/components.py) do the rest the same way for every language. A third
language is its module plus a section of its own in nlp/data/lexicon.yaml
(and place names for the gazetteer); nothing else changes.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from nlp.figures_en import Candidate
from nlp.resources import Resources


class LanguageRules(ABC):
    code: str

    def __init__(self, res: Resources) -> None:
        self.res = res
        self.lex: dict[str, Any] = res.lang(self.code)
        self.people_nouns = set(self.lex["people_nouns"])

    @abstractmethod
    def base_pipeline(self) -> Language:
        """The spaCy pipeline our components are added to (tokenizer, and parser where the language has one)."""

    @abstractmethod
    def sentences(self, doc: Doc, text: str) -> list[tuple[int, int]]:
        """Sentence spans as character offsets."""

    @abstractmethod
    def candidates(self, text: str, limit: int) -> list[Candidate]:
        """Figure candidates in text[:limit]."""

    @abstractmethod
    def counted(self, doc: Doc, text: str, cand: Candidate) -> tuple[str | None, str] | None:
        """(what the figure counts, its unit, refined), or None when the candidate is no figure after all."""

    @abstractmethod
    def orgs(self, doc: Doc, text: str, limit: int) -> list[tuple[int, int, str]]:
        """Organisation names in text[:limit] as (start, end, normalised name)."""

    def is_people(self, counted: str | None) -> bool:
        """Whether the counted noun counts people (its unit is then `people`)."""
        return False


def rules_for(code: str, res: Resources) -> LanguageRules:
    try:
        module = importlib.import_module(f"nlp.languages.{code}")
    except ModuleNotFoundError:
        raise ValueError(f"no rules for language {code!r} (no module nlp/languages/{code}.py)") from None
    rules: LanguageRules = module.Rules(res)
    return rules
