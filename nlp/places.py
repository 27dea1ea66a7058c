"""The gazetteer: Chinese places by English and Chinese name, and finding them in text.

Built from nlp/data/gazetteer.csv (generated from cpca's administrative
division table by tools/build_gazetteer.py). A match resolves to the place
that facts are attributed to: districts and counties to their prefecture
city, provinces to themselves, county-level cities kept as named (they are
listed as cities of their own) but attributed to their prefecture.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Place:
    adcode: str
    level: str  # province | prefecture | county_city | district
    name_en: str
    name_zh: str
    city_adcode: str
    province_adcode: str

    @property
    def listed(self) -> bool:
        """Whether the place counts in an article's `cities` (districts and counties do not)."""
        return self.level != "district"


@dataclass(frozen=True)
class PlaceMatch:
    start: int
    end: int
    text: str
    place: Place


class Gazetteer:
    def __init__(self, path: Path, stop: dict[str, list[str]]) -> None:
        """path: the gazetteer CSV; stop: names that are ordinary words (place_stoplist.yaml)."""
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        self.by_code: dict[str, Place] = {}
        for r in rows:
            self.by_code[r["adcode"]] = Place(r["adcode"], r["level"], r["name_en"], r["name_zh"],
                                              r["city_adcode"], r["province_adcode"])
        rank = {"province": 0, "prefecture": 1, "county_city": 2, "district": 3}
        zh: dict[str, Place] = {}
        en: dict[str, Place] = {}
        guarded: dict[str, Place] = {}  # English names that are also words (Dali, Ning): only where marked as places
        for r in sorted(rows, key=lambda r: rank[r["level"]]):
            p = self.by_code[r["adcode"]]
            if r["name_zh"] not in stop["zh_full"]:
                zh.setdefault(r["name_zh"], p)
            if r["level"] in ("province", "prefecture") and len(r["short_zh"]) >= 2 and r["short_zh"] not in stop["zh_short"]:
                zh.setdefault(r["short_zh"], p)
            if r["level"] != "district":
                for name in [r["name_en"], *filter(None, r["aliases_en"].split("|"))]:
                    (guarded if name in stop["en"] else en).setdefault(name, p)
        self.zh_names = zh
        self.en_names = en
        self._en_lower = {n.lower(): p for n, p in en.items()}
        self._zh_re = re.compile("|".join(re.escape(n) for n in sorted(zh, key=len, reverse=True)))
        en_alt = "|".join(re.escape(n) for n in sorted(en, key=len, reverse=True))
        # "Jinan", "Jinan City", "JINAN" (datelines); never inside a longer word.
        self._en_re = re.compile(rf"(?<![A-Za-z'])({en_alt})(?:\s+(?:City|Province|Municipality|Autonomous Region|Prefecture))?(?![a-z'])")
        self._guarded = guarded
        provinces = "|".join(re.escape(p.name_en) for p in self.by_code.values() if p.level == "province")
        guarded_alt = "|".join(re.escape(n) for n in sorted(guarded, key=len, reverse=True)) or "(?!)"
        # "Yunnan's Dali", "Dali Prefecture": a name that is also a word counts where the text marks it as a place.
        self._guarded_re = re.compile(rf"(?<![A-Za-z])(?:{provinces})[’']s\s+(?P<a>{guarded_alt})(?![A-Za-z'])"
                                      rf"|(?<![A-Za-z'])(?P<b>{guarded_alt})\s+(?:City|Prefecture|County)\b") if provinces else None
        self._en_upper = {n.upper(): p for n, p in en.items()}
        self._en_upper_re = re.compile(rf"(?<![A-Za-z])({'|'.join(re.escape(n) for n in sorted(self._en_upper, key=len, reverse=True))})(?![A-Za-z])")

    def city_of(self, place: Place) -> Place:
        """The place a fact about `place` belongs to: a district's or county's prefecture city; a county-level
        city is a city of its own (Yiwu's figures are Yiwu's, not Jinhua's)."""
        if place.level == "county_city":
            return place
        if place.city_adcode and place.city_adcode in self.by_code:
            return self.by_code[place.city_adcode]
        return place

    def province_of(self, place: Place) -> Place | None:
        return self.by_code.get(place.province_adcode)

    def lookup(self, name: str) -> Place | None:
        """A place from an English or Chinese name given by a user ("Jinan", "济南市", "jinan")."""
        if name in self.zh_names:
            return self.zh_names[name]
        return self._en_lower.get(name.strip().lower())

    def canonical_city(self, name: str) -> str:
        """The name facts store for what a user typed: '济南市', 'jinan', 'Jinan City' -> 'Jinan'.

        A district or county stands for its prefecture city, as facts attribute it; a name the gazetteer
        does not know is returned as given (trimmed).
        """
        place = self.lookup(name.strip().removesuffix(" City").removesuffix(" Province"))
        if place is None:
            return name.strip()
        return self.city_of(place).name_en if place.level != "province" else place.name_en

    def find(self, text: str, lang: str) -> list[PlaceMatch]:
        """Places named in text, in order, by the finder for the text's language (find_en, find_zh)."""
        finder = getattr(self, f"find_{lang}", None)
        if finder is None:
            raise ValueError(f"the gazetteer has no place names for language {lang!r}")
        return finder(text)

    def find_zh(self, text: str) -> list[PlaceMatch]:
        return [PlaceMatch(m.start(), m.end(), m.group(0), self.zh_names[m.group(0)]) for m in self._zh_re.finditer(text)]

    def find_en(self, text: str) -> list[PlaceMatch]:
        out: list[PlaceMatch] = []
        for m in self._en_re.finditer(text):
            out.append(PlaceMatch(m.start(), m.end(), m.group(0), self.en_names[m.group(1)]))
        for m in self._en_upper_re.finditer(text):
            if m.group(0).isupper() and len(m.group(0)) > 3:
                out.append(PlaceMatch(m.start(), m.end(), m.group(0), self._en_upper[m.group(1)]))
        if self._guarded_re is not None:
            for m in self._guarded_re.finditer(text):
                key = "a" if m.group("a") else "b"
                start = m.start(key)
                end = m.end() if key == "b" else m.end(key)
                out.append(PlaceMatch(start, end, text[start:end], self._guarded[m.group(key)]))
        return sorted(out, key=lambda x: x.start)
