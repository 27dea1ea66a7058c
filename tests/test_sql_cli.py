"""`cityfacts sql` answers queries and refuses to change the database."""
from __future__ import annotations

import json

from conftest import cli

from pipeline import db as pdb
from pipeline import load


def test_sql_reads_and_refuses_writes(tmp_path, extractor):
    db = tmp_path / "q.duckdb"
    ex = extractor.extract("Zibo has 52 integration enterprises.")
    with pdb.writer(db) as con:
        load.load(con, [], [load.ArticleRecord("http://x/1", "t", "t", "2024-01-02", "x", "h", ex)])
    ok = cli("sql", "SELECT city, value FROM facts", "--db", str(db), "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"city": "Zibo", "value": 52.0}
    bad = cli("sql", "DROP TABLE facts", "--db", str(db))
    assert bad.returncode == 1 and "read-only" in bad.stderr and "Traceback" not in bad.stderr
    still = cli("sql", "SELECT count(*) AS n FROM facts", "--db", str(db), "--format", "csv")
    assert still.stdout.splitlines() == ["n", "1"]
