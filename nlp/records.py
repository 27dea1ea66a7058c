"""Record types that leave the nlp package.

They are plain dataclasses so that `pipeline` can turn them into Arrow rows
and the CLI into the JSON contract of DESIGN.md without knowing spaCy.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

def _extractor_version(base: str = "0.1") -> str:
    """The release plus a digest of the rules (nlp/*.py and nlp/data/*): any change to them makes stored
    facts stale, which `cityfacts reextract` then rebuilds, without anyone remembering to bump a number."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("*.py"), *(root / "data").glob("*")]):
        if path.is_file() and path.name != "evaluation.py":
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return f"{base}+{digest.hexdigest()[:10]}"


EXTRACTOR_VERSION = _extractor_version()

UNITS = ("yuan", "percent", "count", "people", "person_times", "area_m2", "other")
APPROX = ("more_than", "about", "less_than")


@dataclass
class Fact:
    value: float
    unit: str
    start: int
    end: int
    text: str
    sentence: str
    value_max: float | None = None
    approx: str | None = None
    counted: str | None = None
    metric: str | None = None
    city: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("value", "value_max"):
            v = d[key]
            if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
                d[key] = int(v)
        order = ("value", "value_max", "unit", "approx", "counted", "metric", "city", "start", "end", "text", "sentence")
        return {k: d[k] for k in order}


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
