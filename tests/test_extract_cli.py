"""`cityfacts extract --json`: the contract of DESIGN.md, on our own fixtures and on the seed report."""
from __future__ import annotations

import json

import pytest
from conftest import EVAL_DEV, FIXTURES, cli

FACT_KEYS = {"value", "value_max", "unit", "approx", "counted", "metric", "city", "start", "end", "text", "sentence"}


def run_extract(*args, stdin=None):
    return cli("extract", *args, "--json", input=stdin)


def test_contract_on_fixtures_and_stdin():
    en = FIXTURES / "linyi_en.txt"
    zh = FIXTURES / "weifang_zh.txt"
    out = run_extract(str(en), str(zh), "-", stdin="Suzhou has 12 industrial colleges.")
    assert out.returncode == 0, out.stderr
    docs = [json.loads(line) for line in out.stdout.splitlines()]
    assert [d["path"] for d in docs] == [str(en), str(zh), "-"]
    for d in docs:
        assert set(d) >= {"path", "lang", "main_city", "cities", "orgs", "facts"}
        for f in d["facts"]:
            assert set(f) >= FACT_KEYS
    texts = {str(en): en.read_text(encoding="utf-8"), str(zh): zh.read_text(encoding="utf-8")}
    for d in docs[:2]:
        for f in d["facts"]:
            assert texts[d["path"]][f["start"]:f["end"]] == f["text"], "offsets index the input text"
    en_doc, zh_doc, stdin_doc = docs
    assert en_doc["lang"] == "en" and en_doc["main_city"] == "Linyi"
    assert zh_doc["lang"] == "zh" and zh_doc["main_city"] == "Weifang"
    assert {f["city"] for f in en_doc["facts"]} == {"Linyi"}
    assert "Zhoukou" not in en_doc["cities"] and "Baoding" not in en_doc["cities"]
    assert all(f["value"] not in (15, 20_000_000, 300, 90_000) for f in en_doc["facts"]), "teasers after - END -"
    money = [f for f in en_doc["facts"] if f["unit"] == "yuan"]
    assert money == [dict(money[0], value=26_000_000, text="26 million yuan")]
    assert {"text": "3600万元", "value": 36_000_000, "unit": "yuan"}.items() <= next(
        f for f in zh_doc["facts"] if f["text"] == "3600万元").items()
    assert stdin_doc["main_city"] == "Suzhou" and stdin_doc["facts"][0]["value"] == 12


def test_missing_file_is_one_line_error():
    out = run_extract("/nonexistent/report.txt")
    assert out.returncode == 1
    assert "/nonexistent/report.txt" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.skipif(not (EVAL_DEV / "jinan.txt").exists(), reason="../shared/eval is not here")
def test_seed_report_facts_belong_to_jinan():
    out = run_extract(str(EVAL_DEV / "jinan.txt"))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["main_city"] == "Jinan"
    assert doc["facts"] and {f["city"] for f in doc["facts"]} == {"Jinan"}
    assert "Yichang" not in doc["cities"] and "Ganzhou" not in doc["cities"]
    funds = [f for f in doc["facts"] if f["unit"] == "yuan"]
    assert [f["value"] for f in funds] == [45_000_000]


def test_extract_and_parse_share_the_output_formats(tmp_path):
    import csv
    import io
    import json

    from conftest import cli

    report = tmp_path / "r.txt"
    report.write_text("Zibo has 52 integration enterprises and 12 training bases.\n", encoding="utf-8")
    as_array = json.loads(cli("extract", str(report), "--format", "json").stdout)
    assert isinstance(as_array, list) and as_array[0]["path"] == str(report)
    assert cli("extract", str(report), "--json").stdout == cli("extract", str(report), "--format", "jsonl").stdout
    rows = list(csv.DictReader(io.StringIO(cli("extract", str(report), "--format", "csv").stdout)))
    assert [(r["value"], r["metric"]) for r in rows] == [("52", "integration_enterprises"), ("12", "training_bases")]
    page = tmp_path / "p.html"
    page.write_text("<html><head><title>T</title></head><body><h1>威海市</h1><p>威海市新建实训基地12个。</p></body></html>",
                    encoding="utf-8")
    parsed = json.loads(cli("parse", str(page), "--format", "json").stdout)
    assert parsed[0]["text"] == "威海市新建实训基地12个。" and parsed[0]["text_from"]
