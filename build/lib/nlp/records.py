"""Record types that leave the nlp package.

They are plain dataclasses so that `pipeline` can turn them into Arrow rows
and the CLI into the JSON contract of DESIGN.md without knowing spaCy.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def _extractor_version(base: str = "0.1") -> str:
    """The release plus a digest of the rules (nlp/**/*.py and nlp/data/*): any change to them makes stored
    facts stale, which `cityfacts reextract` then rebuilds, without anyone remembering to bump a number."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *(root / "data").glob("*")]):
        if path.is_file() and path.name != "evaluation.py" and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return f"{base}+{digest.hexdigest()[:10]}"


EXTRACTOR_VERSION = _extractor_version()

UNITS = ("yuan", "percent", "count", "people", "person_times", "area_m2", "other")
APPROX = ("more_than", "about", "less_than")


def _doc(text: str, default: Any = dataclasses.MISSING) -> Any:
    """A field documented for the facts table (pipeline/tables.py turns each Fact field into a column)."""
    return field(default=default, metadata={"doc": text})


# Field order is column order in the facts table; the JSON contract lists the same fields.
@dataclass(kw_only=True)
class Fact:
    city: str | None = _doc("City or province the figure belongs to (English form); NULL for national figures.", None)
    metric: str | None = _doc("Canonical metric key (nlp/data/taxonomy.yaml) or NULL.", None)
    status: str = _doc("actual, or target: a plan, goal or promise not yet reached (will, plans to, by 2025, 将, 力争).",
                       "actual")
    aspect: str = _doc("total: a stock or cumulative count; added: what a period added (new, 新增); "
                       "per_year: a yearly rate or one year's flow (every year, 年均).", "total")
    level: str | None = _doc("Recognition level of what is counted when stated: national, provincial, municipal, "
                             "county (国家级, 省级 ...); NULL when unstated. Not the place the figure is for.", None)
    year: int | None = _doc("The year the figure refers to, when the text says (in 2021, last year, by 2025, 今年); "
                            "else NULL.", None)
    scope: str = _doc("city: the figure is for the whole city or province it is attributed to; part: for a district "
                      "or county in it, one school, company, park or project, a capacity, or a per-unit cap.", "city")
    part: str | None = _doc("When scope is part, the part's name where the text gives it (长沙县, a college).", None)
    value: float = _doc("The value, normalised (yuan, m², percent, count).")
    value_max: float | None = _doc("Upper bound of a range, else NULL.", None)
    unit: str = _doc("yuan, percent, count, people, person_times, area_m2 or other.")
    approx: str | None = _doc("more_than, about, less_than or NULL.", None)
    counted: str | None = _doc("What the figure counts, as written.", None)
    text: str = _doc("The figure as written in the text.")
    sentence: str = _doc("The sentence it stands in (evidence).")
    start: int = _doc("Offset of the figure in the text (articles.text).")
    end: int = _doc("Offset after the figure.")

    def to_json(self) -> dict[str, Any]:
        """The `extract --json` fact: contract fields first, in their documented order, then any added since."""
        d = asdict(self)
        for key in ("value", "value_max"):
            v = d[key]
            if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
                d[key] = int(v)
        return {k: d[k] for k in (*JSON_ORDER, *(k for k in d if k not in JSON_ORDER))}


JSON_ORDER = ("value", "value_max", "unit", "approx", "counted", "metric", "city", "start", "end", "text", "sentence",
              "status", "aspect", "level", "year", "scope", "part")


@dataclass
class Mention:
    """A place or organisation named in the text, with its offsets."""

    kind: str  # "place" | "org"
    name: str  # normalised name (English form for places)
    start: int
    end: int
    text: str


@dataclass
class Extraction:
    lang: str
    main_city: str | None
    cities: list[str]
    orgs: list[str]
    facts: list[Fact]
    mentions: list[Mention] = field(default_factory=list)
    body_end: int = 0  # offset where the article proper ends (teasers follow)

    def to_json(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "main_city": self.main_city,
            "cities": self.cities,
            "orgs": self.orgs,
            "facts": [f.to_json() for f in self.facts],
        }
