"""Everything the rules read, loaded and checked from one data directory: lexicon, taxonomy, gazetteer, markers.

Pipeline components get their data from here through their config
(`data_dir`, `taxonomy`), so two pipelines can run on different rule files
in one process, and a test that wants another taxonomy passes its path
rather than clearing caches. Loading is keyed on those paths: components
that share a directory share one copy.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nlp import data_files
from nlp.metrics import Taxonomy
from nlp.places import Gazetteer


def packaged_data() -> Path:
    return Path(str(resources.files("nlp").joinpath("data")))


@dataclass(frozen=True)
class Resources:
    data_dir: Path
    lexicon: dict[str, Any]
    markers: dict[str, Any]
    org_suffixes: dict[str, Any]
    attribution: dict[str, Any]
    qualifiers: dict[str, Any]
    taxonomy: Taxonomy
    gazetteer: Gazetteer

    def lang(self, code: str) -> dict[str, Any]:
        """The lexicon section of one language."""
        return self.lexicon[code]


@functools.cache
def _load(data_dir: Path, taxonomy: Path | None) -> Resources:
    stoplist = data_files.load_checked(data_dir / "place_stoplist.yaml", data_files.PlaceStoplist)
    lexicon = data_files.load_checked(data_dir / "lexicon.yaml", data_files.Lexicon)
    lexicon_vague = {lang: section["vague_nouns"] for lang, section in lexicon.items() if isinstance(section, dict)
                     and "vague_nouns" in section}
    return Resources(
        data_dir=data_dir,
        lexicon=lexicon,
        markers=data_files.load_checked(data_dir / "markers.yaml", data_files.Markers),
        org_suffixes=data_files.load_checked(data_dir / "org_suffixes.yaml", data_files.OrgSuffixes),
        attribution=data_files.load_checked(data_dir / "attribution.yaml", data_files.Attribution),
        qualifiers=data_files.load_checked(data_dir / "qualifiers.yaml", data_files.QualifierCues),
        taxonomy=Taxonomy(data_files.load_taxonomy(taxonomy or data_dir / "taxonomy.yaml"), vague=lexicon_vague),
        gazetteer=Gazetteer(data_dir / "gazetteer.csv", stoplist),
    )


def load_resources(data_dir: str | Path | None = None, taxonomy: str | Path | None = None) -> Resources:
    """The rule files of data_dir (default: the packaged ones), with another taxonomy file if given."""
    root = Path(data_dir).resolve() if data_dir else packaged_data()
    return _load(root, Path(taxonomy).resolve() if taxonomy else None)
