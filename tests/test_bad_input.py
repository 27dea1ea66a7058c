"""Bad input never gives a traceback: fuzzed number parsers and extractor, huge texts, absurd numbers, bad files."""
from __future__ import annotations

from conftest import cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.figures_en import EnglishFigures
from nlp.figures_zh import ChineseFigures
from nlp.numbers import parse_digits, parse_en_words, parse_zh
from nlp.resources import load_resources

RES = load_resources()
FIGURES_EN, FIGURES_ZH = EnglishFigures(RES.lang("en")), ChineseFigures(RES.lang("zh"))

ZH_ALPHABET = "零〇一二两三四五六七八九十百千万亿0123456789０１２３.,%％余多近约超逾第年月日个所家项名人次元万亿平方米亩公顷至-、，。十四五“”"
EN_WORDS = ["one", "two", "twelve", "Sixty-five", "hundred", "thousand", "million", "billion", "yuan", "RMB", "$", "¥", "%",
            "percent", "more", "than", "about", "nearly", "to", "-", "mu", "hectares", "square", "meters", "No.", "in", "2021",
            "first", "batch", "of", "enterprises", "students", "1,234", "3.5", "0531-86061234", "'", '"', "(", ")", "1 1", "+",
            "Jinan", "City", "- END -", "\n", "Five-Year", "Plan", "person-times", "1e30", "½"]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ZH_ALPHABET, max_size=40))
def test_chinese_numbers_never_crash(s):
    value = parse_zh(s)
    assert value is None or isinstance(value, float)
    for c in FIGURES_ZH(s):
        assert 0 <= c.start < c.end <= len(s)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(EN_WORDS), max_size=25).map(" ".join))
def test_english_numbers_never_crash(s):
    words = parse_en_words(s, RES.lang("en"))
    assert words is None or words >= 0
    assert parse_digits(s) is None or isinstance(parse_digits(s), float)
    for c in FIGURES_EN(s):
        assert 0 <= c.start < c.end <= len(s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.one_of(st.lists(st.sampled_from(EN_WORDS), max_size=40).map(" ".join),
                 st.text(alphabet=ZH_ALPHABET + "济南青岛产教融合型企业实训基地", max_size=80),
                 st.text(max_size=60)))
def test_extractor_never_crashes(extractor, s):
    ex = extractor.extract(s)
    for f in ex.facts:
        assert s[f.start:f.end] == f.text
        assert f.unit in ("yuan", "percent", "count", "people", "person_times", "area_m2", "other")


def test_absurd_numbers_are_dropped(extractor):
    ex = extractor.extract("The fund reached 90000000000000000000000000000000 yuan; 7 colleges joined.", "en")
    assert [(f.text, f.value) for f in ex.facts] == [("7", 7)]
    ex = extractor.extract("资金达到100000000000000000亿元，建成5所学校。", "zh")
    assert [(f.text, f.value) for f in ex.facts] == [("5所", 5)]


def test_huge_and_binary_files_are_one_line_errors(tmp_path):
    huge = tmp_path / "huge.txt"
    huge.write_text("Jinan has 5 training bases. " * 200_000)  # 5.6 MB
    binary = tmp_path / "image.png"
    binary.write_bytes(bytes(range(256)) * 100)
    good = tmp_path / "good.txt"
    good.write_text("Zibo has 52 integration enterprises.")
    out = cli("extract", str(huge), str(binary), str(good), "--json")
    assert out.returncode == 1
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert any(str(huge) in e and "limit is 500,000" in e for e in errors)
    assert "Traceback" not in out.stderr
    assert '"main_city": "Zibo"' in out.stdout, "the good file is still extracted"


def test_sources_file_that_is_not_yaml_or_not_text(tmp_path):
    binary = tmp_path / "sources.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage\x00")
    for args in (["sources", "check", str(binary)], ["run", "--sources", str(binary)]):
        out = cli(*args)
        assert out.returncode == 1 and str(binary) in out.stderr and "Traceback" not in out.stderr


def test_missing_database_and_bad_dates_are_one_line(tmp_path):
    for args in (["sql", "SELECT 1", "--db", str(tmp_path / "none.duckdb")],
                 ["compare", "--db", str(tmp_path / "none.duckdb")],
                 ["compare", "--as-of", "yesterday", "--db", str(tmp_path / "none.duckdb")]):
        out = cli(*args)
        assert out.returncode == 1 and "error:" in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert ("--as-of: expected a date" in out.stderr) == ("yesterday" in args)


def test_parse_says_when_a_file_is_not_html(tmp_path):
    from conftest import cli

    txt = tmp_path / "report.txt"
    txt.write_text("Zibo has 52 integration enterprises.\n", encoding="utf-8")
    out = cli("parse", str(txt))
    assert out.returncode == 1 and "not an HTML page" in out.stderr and "cityfacts extract" in out.stderr


def test_sources_check_lists_every_mistake(tmp_path):
    from conftest import cli

    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - name: a b\n    start_urls: [x]\n    article_pattern: '('\n", encoding="utf-8")
    out = cli("sources", "check", str(bad))
    assert out.returncode == 1
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 3 and all(f"{bad}:" in line for line in lines), out.stderr
    assert any("sources[0].name" in x for x in lines) and any("start_urls" in x for x in lines) \
        and any("article_pattern" in x for x in lines)
