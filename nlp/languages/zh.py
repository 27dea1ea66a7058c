"""Chinese: spaCy's `zh` with the jieba segmenter (and our domain dictionary); no parser, so what a figure
counts comes from jieba's part-of-speech tags around it, and sentences from punctuation."""
from __future__ import annotations

from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from nlp.counted import counted_zh
from nlp.figures_en import Candidate
from nlp.figures_zh import ChineseFigures
from nlp.languages import LanguageRules
from nlp.orgs import ChineseOrgs
from nlp.resources import Resources
from nlp.segments import zh_sentences
from nlp.zh_words import load_userdict


class OffsetTokenizer:
    """spaCy's jieba tokenizer, placing each word where jieba says it is.

    spaCy's ChineseTokenizer finds each of jieba's words again in the rest of the text, copying that rest every
    time: quadratic, 4 s of a 500,000-character text's 37 (issue 16). jieba.tokenize gives the offsets; the words
    and their trailing spaces are the ones spaCy makes (a single space after a word is its trailing space, other
    whitespace a token of its own), which tests/test_hardening.py checks against spaCy's own tokenizer."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self.vocab = base.vocab

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        pos = 0
        for word, start, end in self.base.jieba_seg.tokenize(text):
            if not word or word.isspace():
                continue
            if start > pos:  # the whitespace before it, left after the previous word's trailing space
                words.append(text[pos:start])
                spaces.append(False)
            words.append(word)
            spaces.append(False)
            pos = end
            if pos < len(text) and text[pos] == " ":
                spaces[-1] = True
                pos += 1
        if pos < len(text):
            words.append(text[pos:])
            spaces.append(False)
        return Doc(self.vocab, words=words, spaces=spaces)


class Rules(LanguageRules):
    code = "zh"

    def __init__(self, res: Resources) -> None:
        super().__init__(res)
        self.figures = ChineseFigures(self.lex)
        self.org_names = ChineseOrgs(res.org_suffixes)
        self.noun_classifiers = tuple(self.lex["noun_classifiers"])

    def base_pipeline(self) -> Language:
        load_userdict()
        nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        nlp.tokenizer = OffsetTokenizer(nlp.tokenizer)
        return nlp

    def sentences(self, doc: Doc, text: str) -> list[tuple[int, int]]:
        return zh_sentences(text)

    def candidates(self, text: str, limit: int) -> list[Candidate]:
        return self.figures(text, limit)

    def counted(self, doc: Doc, text: str, cand: Candidate) -> tuple[str | None, str] | None:
        counted = counted_zh(text, cand.start, cand.end, cand.unit, self.lex)
        written = cand.text_of(text)
        if counted is None:
            # The classifier is itself the noun: 六部门, 十个城市.
            counted = next((n for n in self.noun_classifiers if written.endswith(n)), None)
        if cand.words and written.lstrip("近约超逾").startswith("一") and cand.value == 1 and cand.unit == "count" \
                and self.res.taxonomy.classify(counted, "", "count", self.code, figure=written) is None:
            return None  # 一道风景线, 一份答卷, 一场变革: an article, not a count (一个国家级基地 counts)
        if cand.words and cand.unit == "people" and counted and not self.is_people(counted):
            return None  # 三名工程: a programme's name, not three people
        return counted, cand.unit

    def orgs(self, doc: Doc, text: str, limit: int) -> list[tuple[int, int, str]]:
        gaz = self.res.gazetteer
        return self.org_names(text[:limit], lambda name: bool(gaz.find_zh(name)))

    def is_people(self, counted: str | None) -> bool:
        if not counted:
            return False
        return any(counted.endswith(n) for n in self.people_nouns)
