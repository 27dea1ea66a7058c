"""Crashes and concurrency: kill -9 mid-load, a second run during a run, readers during a load."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


CLI = [sys.executable, "-c", "from flows.cli import app; app()"]


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("pages", "articles", "facts", "mentions")}
    finally:
        con.close()


def no_duplicates(db: Path) -> None:
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table, key in (("pages", "url"), ("articles", "url"), ("facts", "id"), ("mentions", "article_id, kind, start")):
            total, distinct = con.execute(f"SELECT count(*), count(DISTINCT ({key})) FROM {table}").fetchone()
            assert total == distinct, f"{table} has duplicates"
        orphans = con.execute("SELECT count(*) FROM facts WHERE article_id NOT IN (SELECT id FROM articles)").fetchone()[0]
        assert orphans == 0, "facts without their article"
    finally:
        con.close()


@pytest.fixture()
def api_url(prefect_api) -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())


@pytest.fixture()
def sources(demo_site, tmp_path) -> Path:
    p = tmp_path / "demo.yaml"
    p.write_text((ROOT / "flows" / "demo_site" / "sources.yaml").read_text().replace("{demo}", demo_site.url))
    return p


def start_run(sources: Path, db: Path, api: str, pause: str, flag: Path) -> subprocess.Popen:
    env = {**os.environ, "PREFECT_API_URL": api, "CITYFACTS_FAULT_PAUSE": pause, "CITYFACTS_FAULT_FILE": str(flag)}
    return subprocess.Popen([*CLI, "run", "--sources", str(sources), "--db", str(db)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def wait_flag(proc: subprocess.Popen, flag: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while not flag.exists():
        if proc.poll() is not None:
            raise AssertionError(f"run ended before the pause: {proc.stderr.read().decode()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError("the run never reached the pause point")
        time.sleep(0.1)


@pytest.mark.parametrize("stage,expected", [("load-pages", {"pages": 0, "articles": 0}),
                                            ("load-articles", {"pages": 18, "articles": 0})])
def test_kill_9_mid_load_leaves_a_consistent_database(api_url, sources, tmp_path, stage, expected):
    from flows.flows import run_flow

    db = tmp_path / "crash.duckdb"
    flag = tmp_path / "paused"
    proc = start_run(sources, db, api_url, stage, flag)
    wait_flag(proc, flag)
    os.killpg(proc.pid, signal.SIGKILL)  # in the middle of the transaction
    proc.wait()
    after_crash = counts(db)
    assert {k: after_crash[k] for k in expected} == expected and after_crash["facts"] == 0
    no_duplicates(db)

    result = run_flow(str(sources), str(db))  # the next run completes the work
    final = counts(db)
    assert final["pages"] == 18 and final["articles"] == 18 and final["facts"] > 60
    no_duplicates(db)
    again = run_flow(str(sources), str(db))
    assert again["new"] == 0 and counts(db) == final
    assert result["articles"] == 18


def test_second_run_and_readers_during_a_run(api_url, sources, tmp_path):
    db = tmp_path / "busy.duckdb"
    flag = tmp_path / "paused"
    # pause between extraction and its load: the run holds its run lock but no database connection
    proc = start_run(sources, db, api_url, "extract", flag)
    try:
        wait_flag(proc, flag)
        second = subprocess.run([*CLI, "run", "--sources", str(sources), "--db", str(db)], capture_output=True, text=True,
                                timeout=300, env={**os.environ, "PREFECT_API_URL": api_url})
        assert second.returncode == 1 and "another run is in progress" in second.stderr and "Traceback" not in second.stderr
        reader = subprocess.run([*CLI, "sql", "SELECT count(*) AS n FROM pages", "--db", str(db), "--format", "csv"],
                                capture_output=True, text=True, timeout=120)
        assert reader.returncode == 0 and reader.stdout.splitlines() == ["n", "18"], "readers are welcome outside loads"
    finally:
        flag.unlink(missing_ok=True)
    assert proc.wait(timeout=300) == 0, proc.stderr.read().decode()[-3000:]
    no_duplicates(db)


def test_readers_during_a_load_are_told_the_database_is_busy(api_url, sources, tmp_path):
    db = tmp_path / "load.duckdb"
    flag = tmp_path / "paused"
    proc = start_run(sources, db, api_url, "load-articles", flag)
    try:
        wait_flag(proc, flag)
        for args in (["sql", "SELECT 1"], ["compare"], ["report", "--out", str(tmp_path / "r.html")]):
            t = time.monotonic()
            out = subprocess.run([*CLI, *args, "--db", str(db)], capture_output=True, text=True, timeout=120)
            waited = time.monotonic() - t
            assert out.returncode == 1, out.stdout
            assert "database is busy" in out.stderr and "Traceback" not in out.stderr
            assert waited >= 4, "waits briefly before giving up"
    finally:
        flag.unlink(missing_ok=True)
    assert proc.wait(timeout=300) == 0
    assert counts(db)["articles"] == 18
    no_duplicates(db)
