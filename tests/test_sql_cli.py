"""`cityfacts sql` answers queries and refuses to change the database."""
from __future__ import annotations

import json
import subprocess
import sys

from pipeline import store

CLI = [sys.executable, "-c", "from flows.cli import app; app()"]


def test_sql_reads_and_refuses_writes(tmp_path, extractor):
    db = tmp_path / "q.duckdb"
    ex = extractor.extract("Zibo has 52 integration enterprises.")
    with store.writer(db) as con:
        store.load(con, [], [store.ArticleRecord("http://x/1", "t", "t", "2024-01-02", "x", "h", ex)])
    ok = subprocess.run([*CLI, "sql", "SELECT city, value FROM facts", "--db", str(db), "--format", "json"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"city": "Zibo", "value": 52.0}
    bad = subprocess.run([*CLI, "sql", "DROP TABLE facts", "--db", str(db)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "read-only" in bad.stderr and "Traceback" not in bad.stderr
    still = subprocess.run([*CLI, "sql", "SELECT count(*) AS n FROM facts", "--db", str(db), "--format", "csv"],
                           capture_output=True, text=True, timeout=120)
    assert still.stdout.splitlines() == ["n", "1"]
