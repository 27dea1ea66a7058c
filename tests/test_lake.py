"""DuckLake as the store, on a real PostgreSQL catalog: concurrent writers, the sandbox, errors, compaction."""
from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bench.load import records
from pipeline import db as pdb
from pipeline import lake, load
from tests.conftest import cli, require_services

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from flows.local_services import postgres_server

    require_services("PostgreSQL")
    with postgres_server(tmp_path_factory.mktemp("pg")) as pg:
        yield pg


_n = [0]


@pytest.fixture()
def lake_url(postgres: Any, tmp_path: Path) -> str:
    _n[0] += 1
    name = f"lake_{_n[0]}"
    postgres.create_database(name)
    url = f"ducklake:postgres:{postgres.dsn(name)}"
    r = cli("lake", "init", "--db", url, "--data", str(tmp_path / "data"))
    assert r.returncode == 0, r.stderr
    return url


def test_a_lake_has_the_same_tables_and_views_as_a_file(lake_url: str, tmp_path: Path) -> None:
    with pdb.reader(lake_url) as con:
        in_lake = pdb.table_names(con)
    with pdb.writer(tmp_path / "f.duckdb") as con:
        in_file = pdb.table_names(con)
    assert in_file <= in_lake and in_lake - in_file == {lake.COMMITS_TABLE}


def test_concurrent_loads_of_the_same_new_articles_store_them_once(lake_url: str, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Two writers, both inside their transaction at once, both loading the same articles (nothing to delete yet):
    the later commit conflicts on lake_commits, is redone, and replaces instead of appending."""
    tables = load.article_tables(records(20, 5))
    flag = tmp_path / "paused"
    monkeypatch.setenv("CITYFACTS_FAULT_PAUSE", "load-articles")
    monkeypatch.setenv("CITYFACTS_FAULT_FILE", str(flag))
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with pdb.writer(lake_url) as con:
                load.load_article_tables(con, tables)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # both inside their transaction
    monkeypatch.delenv("CITYFACTS_FAULT_PAUSE")  # the retry does not pause again
    flag.unlink()
    for t in threads:
        t.join(120)
    assert not errors, errors
    with pdb.reader(lake_url) as con:
        facts, ids = con.execute("SELECT count(*), count(DISTINCT id) FROM facts").fetchone()
        arts = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        commits = con.execute(f"SELECT commits FROM {lake.COMMITS_TABLE}").fetchone()[0]
    assert facts == ids == 100 and arts == 20
    assert commits == 2


def test_the_sandbox_reads_the_lake_and_nothing_else(lake_url: str, tmp_path: Path) -> None:
    with pdb.writer(lake_url) as con:
        load.load_article_tables(con, load.article_tables(records(30, 40)))
        con.execute("CALL ducklake_flush_inlined_data('lake')")  # the facts now live in Parquet files
    r = cli("sql", "--db", lake_url, "--format", "csv", "--no-headers", "SELECT count(*) FROM facts")
    assert r.returncode == 0 and r.stdout.strip() == "1200", r.stderr
    for query in ["SELECT * FROM read_text('/etc/hostname')", f"COPY facts TO '{tmp_path}/x.csv'",
                  "INSERT INTO sources (name) VALUES ('x')",
                  "SELECT * FROM read_parquet('/etc/*.parquet')"]:
        r = cli("sql", "--db", lake_url, query)
        assert r.returncode == 1 and r.stderr.startswith("error:"), (query, r.stderr)
    assert not (tmp_path / "x.csv").exists()


def test_lake_errors_are_one_line(postgres: Any) -> None:
    postgres.create_database("empty_lake")
    url = f"ducklake:postgres:{postgres.dsn('empty_lake')}"
    r = cli("compare", "--db", url)
    assert r.returncode == 1 and "no lake there yet" in r.stderr and "cityfacts lake init" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = cli("lake", "compact", "--db", "some.duckdb")
    assert r.returncode == 1 and "expected a DuckLake URL" in r.stderr
    r = cli("sql", "--db", f"ducklake:postgres:{postgres.dsn('no_such_db')}", "SELECT 1")
    assert r.returncode == 1 and "cannot open the lake" in r.stderr and "no_such_db" in r.stderr


def test_compact_merges_the_files_loads_leave(lake_url: str) -> None:
    with pdb.writer(lake_url) as con:
        for i in range(6):
            tables = load.article_tables(records(200, 20)[i * 30:(i + 1) * 30])
            load.load_article_tables(con, tables)
            con.execute("CALL ducklake_flush_inlined_data('lake')")
        before = lake.file_count(con)
    r = cli("lake", "compact", "--db", lake_url)
    assert r.returncode == 0, r.stderr
    with pdb.reader(lake_url) as con:
        after = lake.file_count(con)
        assert con.execute("SELECT count(*) FROM facts").fetchone()[0] == 180 * 20
    assert after < before
