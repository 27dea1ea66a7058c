"""Which city a report is about, and which city each figure belongs to.

Why our own rules: no library attributes a figure to a place. A figure
belongs to the nearest place named before it in its sentence (else after
it), unless that place is only part of an organisation's name or is the
province that contains the article's city; with no place in the sentence it
belongs to the article's main city, or to no city when the sentence speaks
of the whole country.
"""
from __future__ import annotations

import re
from collections import defaultdict

from nlp.places import Gazetteer, PlaceMatch
from nlp.spans import ByStart


class DocPlaces:
    """A document's places and organisation names, indexed once so each figure's lookup is local: the
    places of a list ("济南、淄博、泰安等三市") and those inside an organisation's name are known up front."""

    def __init__(self, matches: list[PlaceMatch], org_spans: list[tuple[int, int]], text: str,
                 separator: re.Pattern[str]) -> None:
        self.text = text
        self.places = ByStart(matches, lambda m: m.start, lambda m: m.end)
        self.orgs = ByStart(org_spans, lambda o: o[0], lambda o: o[1])
        items = self.places.items
        self.longest = max((m.end - m.start for m in items), default=0)
        self.listed: set[int] = set()
        for a, b in zip(items, items[1:], strict=False):
            if b.start - a.end <= 5 and separator.match(text[a.end:b.start]):
                self.listed.update((id(a), id(b)))

    def in_org(self, m: PlaceMatch) -> bool:
        return self.orgs.covers(m.start, m.end)

    def apposition(self, m: PlaceMatch, prov_code: str) -> bool:
        """'Ningbo, Zhejiang province': a province right after one of its own cities only locates that city."""
        for other in self.places.starting(m.start - 3 - self.longest, m.start):
            if other.end <= m.start and m.start - other.end <= 3 and "," in self.text[other.end:m.start] \
                    and other.place.province_adcode == prov_code and other.place.adcode != prov_code:
                return True
        return False


class Attribution:
    """The rules above, with their patterns from nlp/data/attribution.yaml and places from the gazetteer."""

    def __init__(self, patterns: dict[str, str], gaz: Gazetteer) -> None:
        self.gaz = gaz
        self.qualifier = re.compile(patterns["qualifier_before"])
        self.national = re.compile(patterns["national"])
        self.in_place = re.compile(patterns["in_place"])
        self.province_anaphora = re.compile(patterns["province_anaphora"])
        self.list_separator = re.compile(patterns["list_separator"])
        self.place_count = re.compile(patterns["place_count_words"])

    def counts_places(self, figure_text: str, counted: str | None) -> bool:
        """Whether a figure counts places (七市, 11 cities): it then belongs to the article, not to one of them."""
        return bool(self.place_count.search(figure_text) or (counted and self.place_count.search(counted.strip())))

    def main_city(self, matches: list[PlaceMatch], text: str, org_spans: list[tuple[int, int]]) -> str | None:
        return main_city(matches, self.gaz, text, org_spans)

    def prepare(self, matches: list[PlaceMatch], org_spans: list[tuple[int, int]], text: str) -> DocPlaces:
        """Index a document's places once, before attributing its figures."""
        return DocPlaces(matches, org_spans, text, self.list_separator)

    def figure_city(self, pos: int, sentence: tuple[int, int], doc: DocPlaces, main: str | None,
                    end: int | None = None) -> str | None:
        return figure_city(self, pos, sentence, doc, main, end)


def main_city(matches: list[PlaceMatch], gaz: Gazetteer, text: str, org_spans: list[tuple[int, int]]) -> str | None:
    title_end = max(text.find("\n", 1), 0) or 200
    title_end = max(title_end, 200)
    city_score: dict[str, float] = defaultdict(float)
    prov_score: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for m in matches:
        w = 3.0 if m.start < title_end else 1.0
        if m.text.isupper() and len(m.text) > 3:
            w = 0.5  # dateline "GUANGZHOU, Dec. 2 (Xinhua)"
        if any(s <= m.start and m.end <= e for s, e in org_spans):
            w *= 0.5
        target = gaz.city_of(m.place)
        if target.level == "province" and not target.city_adcode:
            prov_score[target.name_en] += w
        else:
            city_score[target.name_en] += w
        first.setdefault(target.name_en, m.start)
    best_city = max(city_score, key=lambda k: (city_score[k], -first[k]), default=None)
    best_prov = max(prov_score, key=lambda k: (prov_score[k], -first[k]), default=None)
    if best_city and (not best_prov or city_score[best_city] >= 0.5 * prov_score[best_prov]):
        return best_city
    return best_prov


def figure_city(rules: Attribution, pos: int, sentence: tuple[int, int], doc: DocPlaces, main: str | None,
                end: int | None = None) -> str | None:
    gaz, text = rules.gaz, doc.text
    s, e = sentence
    main_place = gaz.lookup(main) if main else None
    main_prov = main_place.province_adcode if main_place else None
    usable = []
    for m in doc.places.starting(s, e):
        if doc.in_org(m):
            continue
        if id(m) in doc.listed:
            continue  # "济南、淄博、泰安等三市": a list of places speaks for the group, not for its last member
        target = gaz.city_of(m.place)
        if (target.level == "province" and not target.city_adcode and target.adcode == main_prov
                and main_place and main_place.adcode != target.adcode
                and (m.start > pos or rules.qualifier.search(text[max(s, m.start - 12):m.start])
                     or doc.apposition(m, target.adcode))):
            # "enterprises in Shandong Province" qualifies the article's own city; "Shandong has 300" does not.
            continue
        usable.append((m, target))
    before = [u for u in usable if u[0].start < pos]
    after = [u for u in usable if u[0].start >= pos]
    if end is not None and after and rules.in_place.fullmatch(text[end:after[0][0].start]):
        return after[0][1].name_en  # "56 in Jinan", "56 enterprises in Jinan"
    if before:
        return before[-1][1].name_en
    # No place named before the figure: "全省累计…300家，其中济南市…" speaks of the province, "全国…" of the country.
    if main_place and main_place.level != "province" and rules.province_anaphora.search(text[s:pos]):
        prov = gaz.province_of(main_place)
        if prov is not None and not prov.city_adcode:
            return prov.name_en
    if rules.national.search(text[s:pos]):
        return None
    if after:
        return after[0][1].name_en
    if rules.national.search(text[s:e]):
        return None
    return main
