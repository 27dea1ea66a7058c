"""The shapes of the rule files in nlp/data, checked when they are loaded.

A user who edits the taxonomy or the lexicon gets one line naming the file,
the line and the field (`taxonomy.yaml:12: robots.units: Input should be a
valid list`), not a KeyError deep inside a pipeline component. Unknown keys
are refused too, so a misspelt field cannot be ignored silently.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from nlp.errors import DataFileError

Words = list[str]
ByKey = dict[str, list[str]]  # e.g. approx: {more_than: [...], about: [...]}
Factors = dict[str, float]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EnglishLexicon(Strict):
    approx: ByKey
    approx_after: ByKey
    currency_before: ByKey
    currency_after: ByKey
    percent: Words
    area_m2: Factors
    extra_units: Words
    fraction_approx: dict[str, str]
    person_times: Words
    multipliers: Factors
    word_units: Factors
    word_tens: Factors
    fractions: Factors
    time_nouns: Words
    months: Words
    label_before: Words
    people_nouns: Words
    people_verbs: Words
    containers: Words
    money_preps: Words
    verb_preps: Words
    not_after_number_word: Words
    not_before_number_word: Words
    not_before_one: Words
    not_counted_after_year: Words
    vague_nouns: Words
    anaphora_before_word_number: Words
    place_nouns: Words
    set_of_before: Words
    code_nouns: Words
    possessive_after_of: Words


class ChineseLexicon(Strict):
    approx_before: ByKey
    approx_mid: ByKey
    approx_after: ByKey
    money: Factors
    money_foreign: Words
    percent_after: Words
    area_m2: Factors
    person_times: Words
    people_classifiers: Words
    classifiers: Words
    noun_classifiers: Words
    ordinal_classifiers: Words
    time_after: Words
    time_after_ge: Words
    label_before: Words
    ordinal_before: Words
    place_classifiers: Words
    multipliers: Factors
    people_nouns: Words
    not_figures: Words
    link_words: Words
    noun_flags: Words
    noun_words: Words
    noun_verbs: Words
    money_verbs: Words
    fractions: Factors
    fraction_more_than: Words
    vague_nouns: Words


class Lexicon(Strict):
    en: EnglishLexicon
    zh: ChineseLexicon
    caps: Factors


class Markers(Strict):
    line: Words
    anywhere: Words


class OrgSuffixes(Strict):
    en: Words
    en_leading_stop: Words
    zh_leading_stop: Words
    zh_inner_cut: Words
    zh: Words
    zh_stop: str
    zh_proper_flags: Words


class PlaceStoplist(Strict):
    zh_short: Words
    zh_full: Words
    en: Words


def _regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression: {exc}") from None
    return pattern


Regex = Annotated[str, AfterValidator(_regex)]


class Attribution(Strict):
    """Patterns that decide which place a figure belongs to (nlp/attribution.py)."""

    qualifier_before: Regex
    national: Regex
    in_place: Regex
    province_anaphora: Regex
    list_separator: Regex
    place_count_words: Regex


Unit = Literal["yuan", "percent", "count", "people", "person_times", "area_m2", "other"]  # as nlp.records.UNITS


class LanguageCues(Strict):
    target: Words
    actual: Words
    added: Words
    added_after: Words
    added_since: Words
    per_year: Words
    per_year_clause: Words
    batch: Words
    subset: Words
    flow_verbs: Words
    total: Words
    weak_total: Words
    level: dict[Literal["national", "provincial", "municipal", "county"], Words]
    opening_chars: int = Field(ge=0)
    year_pattern: Regex
    target_year_pattern: Regex
    relative_years: dict[str, int]
    date_pattern: Regex
    not_year_before: Words
    recognition: Words
    not_level_after: Words
    not_level_before: Words
    plan_verbs: Words
    adding_verbs: Words
    part_cues: Words
    part_subjects: Words
    recipient_before: Words
    anaphora_before: Words


class QualifierCues(BaseModel):
    """Cues per language code (en, zh, ...), plus the names of bodies that speak for a whole city."""

    model_config = ConfigDict(extra="allow")
    city_bodies: Words
    per_year_metrics: Words
    part_units: Words

    @model_validator(mode="after")
    def _languages(self) -> QualifierCues:
        for key, value in (self.model_extra or {}).items():
            LanguageCues.model_validate(value)
            if not re.fullmatch(r"[a-z]{2,3}", key):
                raise ValueError(f"unknown field {key!r} (expected city_bodies, per_year_metrics or a language code)")
        return self


class Metric(BaseModel):
    """One taxonomy key: its label, the units it admits, and keywords per language code (en, zh, ...)."""

    model_config = ConfigDict(extra="allow")
    label: str
    units: list[Unit] = Field(min_length=1)
    refines: str | None = None  # a more specific kind of this key (integration_enterprises of cooperating_enterprises)
    named_by_sentence: bool = False  # a bare general noun (企业) takes this kind when its sentence names it
    # Measure words per language that count this key when the figure names no noun (市级96家: enterprises).
    measure_words: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _keywords(self) -> Metric:
        for key, value in (self.model_extra or {}).items():
            if not re.fullmatch(r"[a-z]{2,3}", key):
                raise ValueError(f"unknown field {key!r} (expected label, units, refines, named_by_sentence, "
                                 "measure_words, or a language code such as en, zh)")
            if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
                raise ValueError(f"{key}: keywords must be a list of strings")
        return self


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line of the YAML node at this field path, when the path leads to one."""
    try:
        node: Any = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node, line = match, match.start_mark.line + 1
    return line


def read_yaml(path: Path) -> tuple[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return text, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise DataFileError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None


def load_checked(path: Path, model: type[BaseModel]) -> dict[str, Any]:
    """The file's data, after checking it against the model (the data is returned as written)."""
    text, data = read_yaml(path)
    try:
        model.model_validate(data)
    except ValidationError as exc:
        raise _error(path, text, exc) from None
    return data


def load_taxonomy(path: Path) -> dict[str, dict[str, Any]]:
    text, data = read_yaml(path)
    if not isinstance(data, dict) or not data:
        raise DataFileError(f"{path}: expected a mapping of metric keys to their label, units and keywords")
    for key, entry in data.items():
        try:
            Metric.model_validate(entry)
        except ValidationError as exc:
            raise _error(path, text, exc, (key,)) from None
    return data


def _error(path: Path, text: str, exc: ValidationError, prefix: tuple[Any, ...] = ()) -> DataFileError:
    first = exc.errors()[0]
    loc = (*prefix, *first["loc"])
    line = _line_of(text, loc)
    field = ".".join(str(p) for p in loc) or "(top level)"
    return DataFileError(f"{path}{f':{line}' if line else ''}: {field}: {first['msg']}")
