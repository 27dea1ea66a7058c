"""Rule files and components the spaCy way: factories configured with their data, checked data files."""
from __future__ import annotations

import shutil
import typing

import pytest
from conftest import cli

from nlp import data_files, records
from nlp.errors import DataFileError
from nlp.resources import load_resources, packaged_data

TAXONOMY = "robots:\n  label: Industrial robots\n  units: [count]\n  en: [robot]\n  zh: [机器人]\n"


def test_components_are_factories_that_declare_what_they_assign(tmp_path):
    from nlp import components
    from nlp.languages import rules_for

    path = tmp_path / "taxonomy.yaml"
    path.write_text(TAXONOMY, encoding="utf-8")
    nlp = rules_for("zh", load_resources()).base_pipeline()
    for name in components.COMPONENTS:
        nlp.add_pipe(name, config=components.config_for(name, None, str(path)))
    assert nlp.get_pipe_meta("cityfacts_figures").assigns == ["doc._.facts", "doc._.main_city"]
    assert nlp.config["components"]["cityfacts_figures"]["taxonomy"] == str(path)
    doc = nlp("苏州新增工业机器人120台。")
    assert [(f["value"], f["metric"], f["city"]) for f in doc._.facts] == [(120, "robots", "Suzhou")]
    assert doc._.places == [(0, 2, "苏州", "320500")], "places are plain data from the start"


def test_two_extractors_with_different_taxonomies_in_one_process(tmp_path):
    from nlp.extract import Extractor

    path = tmp_path / "taxonomy.yaml"
    path.write_text(TAXONOMY, encoding="utf-8")
    text = "苏州新增工业机器人120台。"
    mine, packaged = Extractor(taxonomy=str(path)), Extractor(taxonomy="")
    assert [f.metric for f in mine.extract(text).facts] == ["robots"]
    assert [f.metric for f in packaged.extract(text).facts] == [None]


def test_a_broken_lexicon_names_file_line_and_field(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(packaged_data(), data)
    lexicon = data / "lexicon.yaml"
    text = lexicon.read_text(encoding="utf-8")
    lexicon.write_text(text.replace("  containers: [batch,", "  containers: 7\n  unused: [batch,", 1), encoding="utf-8")
    line = text[:text.index("  containers:")].count("\n") + 1
    with pytest.raises(DataFileError) as err:
        load_resources(data)
    assert str(err.value) == f"{lexicon}:{line}: en.containers: Input should be a valid list"


def test_a_broken_taxonomy_stops_extract_with_one_line(tmp_path, monkeypatch):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("robots: [not, a, mapping]\n", encoding="utf-8")
    monkeypatch.setenv("CITYFACTS_TAXONOMY", str(path))
    text = tmp_path / "r.txt"
    text.write_text("Suzhou has 120 robots.", encoding="utf-8")
    out = cli("extract", str(text), "--json")
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.strip() == f"error: {path}:1: robots: Input should be a valid dictionary or instance of Metric"


def test_taxonomy_units_are_the_contract_units():
    assert typing.get_args(data_files.Unit) == records.UNITS


def test_every_packaged_rule_file_loads_and_a_third_language_needs_its_module():
    from nlp.languages import rules_for

    res = load_resources()
    assert set(res.lexicon) - {"caps"} == {"en", "zh"}
    assert [rules_for(code, res).code for code in ("en", "zh")] == ["en", "zh"]
    with pytest.raises(ValueError, match="no rules for language 'fr'"):
        rules_for("fr", res)
