"""The import rule of DESIGN.md: flows imports everything; pipeline only nlp's record types;
crawlers and nlp import neither each other nor pipeline/flows."""
from __future__ import annotations

import ast

import pytest
from conftest import ROOT

ALLOWED = {
    "crawlers": {"crawlers"},
    "nlp": {"nlp"},
    "pipeline": {"pipeline", "nlp.records"},
}


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_run_one_way(package):
    ours = {"crawlers", "nlp", "pipeline", "flows"}
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for mod in imported_modules(path):
            top = mod.split(".")[0]
            if top in ours and not any(mod == a or mod.startswith(a + ".") or a == top for a in ALLOWED[package] if "." not in a) \
                    and mod not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)} imports {mod}")
    assert bad == []


def test_data_lives_in_data_files():
    data = {p.name for p in (ROOT / "nlp" / "data").iterdir()}
    assert {"gazetteer.csv", "taxonomy.yaml", "lexicon.yaml", "markers.yaml"} <= data
    assert (ROOT / "crawlers" / "data" / "sources_cn.yaml").exists()
