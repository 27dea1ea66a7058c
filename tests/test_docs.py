"""Generated documentation stays generated: docs/cli.md is every command's --help as the CLI prints it now."""
from __future__ import annotations

from conftest import ROOT


def test_cli_reference_is_current():
    from flows.cli_docs import render

    text = render()
    for command in ("cityfacts demo", "cityfacts sources check", "cityfacts compare", "cityfacts eval"):
        assert f"## `{command}`" in text
    assert "--as-of" in text and "--cron" in text, "options are documented"
    assert text == (ROOT / "docs" / "cli.md").read_text(encoding="utf-8"), "regenerate with `make docs`"
