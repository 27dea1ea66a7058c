"""`cityfacts demo` as a user runs it: a child process, its own temporary Prefect API, a comparison table."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


CLI = [sys.executable, "-c", "from flows.cli import app; app()"]


def test_cityfacts_demo_twice(tmp_path: Path):
    db = tmp_path / "cli.duckdb"
    env = {**os.environ, "COLUMNS": "200"}
    first = subprocess.run([*CLI, "demo", "--db", str(db)], capture_output=True, text=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "Cities compared" in first.stdout
    assert "Jinan" in first.stdout and "Qingdao" in first.stdout
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT count(*) FROM facts").fetchone()[0]
    con.close()
    second = subprocess.run([*CLI, "demo", "--db", str(db)], capture_output=True, text=True, env=env, timeout=600)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "0 new / 0 changed" in second.stderr
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == rows
    con.close()
