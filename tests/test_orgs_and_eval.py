"""Organisations, main city and the eval command."""
from __future__ import annotations

import json

from conftest import cli


def test_english_organisations(extractor):
    ex = extractor.extract(
        "As Weifang Engineering Vocational College signed the deal, the Weifang Municipal Education Bureau said "
        "the CEO of Shandong Heavy Industry Group welcomed it.\nIn Linyi, 5 schools joined.", "en")
    assert ex.orgs == ["Weifang Engineering Vocational College", "Weifang Municipal Education Bureau", "Shandong Heavy Industry Group"]


def test_chinese_organisations(extractor):
    ex = extractor.extract("潍坊市发展和改革委会同市教育局认定潍坊职业学院、山东海化集团等12家单位，携手潍柴动力股份有限公司共建产教联合体。", "zh")
    assert "潍坊职业学院" in ex.orgs and "山东海化集团" in ex.orgs and "潍柴动力股份有限公司" in ex.orgs
    assert "产教联合体" not in ex.orgs, "a generic name with no proper noun is not an organisation"
    assert not any(o.startswith(("携手", "会同")) for o in ex.orgs)


def test_main_city_prefers_the_city_over_its_province(extractor):
    ex = extractor.extract("Zibo builds training bases\n\nZibo, a city in Shandong Province, has 30 training bases. "
                           "Shandong has 300 in total.", "en")
    assert ex.main_city == "Zibo"
    assert [(f.value, f.city) for f in ex.facts] == [(30, "Zibo"), (300, "Shandong")]
    ex = extractor.extract("Shandong vocational education\n\nShandong has 84 vocational colleges and 600,000 students.", "en")
    assert ex.main_city == "Shandong" and {f.city for f in ex.facts} == {"Shandong"}
    ex = extractor.extract("Yichang City held a meeting. Yichang has 12 integration enterprises.", "en")
    assert ex.main_city == "Yichang"


def test_chinese_places_and_districts(extractor):
    ex = extractor.extract("济南市历城区新建实训基地5个，山东省共有实训基地300个。", "zh")
    assert ex.main_city == "Jinan" and ex.cities == ["Jinan", "Shandong"]
    assert [(f.value, f.city) for f in ex.facts] == [(5, "Jinan"), (300, "Shandong")]


def write_pair(folder, name, text, gold):
    (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    (folder / f"{name}.gold.json").write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")


def test_eval_command_scores_a_labelled_folder(tmp_path):
    write_pair(tmp_path, "a", "Zibo has 52 integration enterprises and about 30% of graduates stay. In 2021 it opened.",
               {"main_city": "Zibo", "facts": [
                   {"quote": "52 integration enterprises", "value": 52, "unit": "count", "city": "Zibo", "approx": None},
                   {"quote": "about 30%", "value": 30, "unit": "percent", "city": "Zibo", "approx": "about"},
                   {"quote": "opened", "value": 1, "unit": "count", "city": "Zibo", "approx": None}]})
    out = cli("eval", str(tmp_path), "--json")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)["summary"]
    assert (s["gold"], s["predicted"], s["matched"]) == (3, 2, 2)
    assert s["precision"] == 1.0 and s["recall"] == round(2 / 3, 4) and s["city_accuracy"] == 1.0
    assert s["main_city_accuracy"] == 1.0


def test_eval_command_bad_gold_is_one_line(tmp_path):
    write_pair(tmp_path, "a", "Zibo has 52 enterprises.", {"facts": [{"quote": "53 enterprises", "value": 53}]})
    out = cli("eval", str(tmp_path))
    assert out.returncode == 1
    assert "a.gold.json: facts[0]: quote '53 enterprises'" in out.stderr and "Traceback" not in out.stderr
