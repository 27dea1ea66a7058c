"""Schedules against a real `prefect server start`: the deployment's cron is read back, a run of it completes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from flows.schedule import healthy, local_server

pytestmark = pytest.mark.slow  # end to end: `make test-fast` skips it


CLI = [sys.executable, "-c", "from flows.cli import app; app()"]
ROOT = Path(__file__).resolve().parent.parent

CLIENT = """
import asyncio, json, sys
from prefect.client.orchestration import get_client
from prefect.deployments import run_deployment

async def schedules():
    async with get_client() as c:
        d = await c.read_deployment_by_name("cityfacts-run/test-schedule")
        return [(s.schedule.cron, s.schedule.timezone, s.active) for s in d.schedules]

print(json.dumps({"schedules": asyncio.run(schedules())}))
run = run_deployment("cityfacts-run/test-schedule", timeout=240)
print(json.dumps({"state": run.state.type.value}))
"""


def wait_for(proc: subprocess.Popen, log: Path, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text(errors="replace") if log.exists() else ""
        if text in content:
            return content
        if proc.poll() is not None:
            raise AssertionError(f"exited early ({proc.returncode}): {content[-2000:]}")
        time.sleep(0.5)
    raise AssertionError(f"{text!r} not seen in {timeout} s: {log.read_text(errors='replace')[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_cron_deployment_on_a_real_server(demo_site, tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text((ROOT / "flows" / "demo_site" / "sources.yaml").read_text().replace("{demo}", demo_site.url))
    db = tmp_path / "scheduled.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    with local_server(log=tmp_path / "server.log") as api:
        env["PREFECT_API_URL"] = api
        log = tmp_path / "schedule.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([*CLI, "schedule", "--cron", "0 6 * * *", "--timezone", "Asia/Shanghai",
                                     "--sources", str(sources), "--db", str(db), "--name", "test-schedule"],
                                    env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(proc, log, "serving deployment cityfacts-run/test-schedule", 120)
            client = None
            for _ in range(60):  # the deployment appears once serve() has registered it
                client = subprocess.run([sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, timeout=300)
                if client.returncode == 0 or "ObjectNotFound" not in client.stderr:
                    break
                time.sleep(1)
            assert client is not None and client.returncode == 0, client.stderr[-3000:]
            assert '"schedules": [["0 6 * * *", "Asia/Shanghai", true]]' in client.stdout, "06:00 in Shanghai, not UTC"
            assert '"state": "COMPLETED"' in client.stdout
        finally:
            stop(proc)
        assert "started a local Prefect server" not in log.read_text(), "an API URL was given: no server of its own"
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 18
    assert con.execute("SELECT count(DISTINCT city) FROM facts").fetchone()[0] >= 6
    con.close()


def test_without_api_url_it_starts_and_stops_its_own_server(tmp_path, demo_sources):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    sources = tmp_path / "s.yaml"
    sources.write_text(demo_sources.read_text().replace("{demo}", "http://127.0.0.1:9"))
    log = tmp_path / "schedule.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*CLI, "schedule", "--cron", "*/5 * * * *", "--sources", str(sources),
                                 "--db", str(tmp_path / "x.duckdb")], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        text = wait_for(proc, log, "serving deployment", 150)
        api = text.split("API ", 1)[1].split()[0]
        assert healthy(api), "the server it announced answers"
    finally:
        stop(proc)
    time.sleep(1)
    assert not healthy(api), "its server stops with it"


def test_bad_cron_is_one_line():
    out = subprocess.run([*CLI, "schedule", "--cron", "every morning"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "--cron: not a valid cron expression" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([*CLI, "schedule", "--cron", "0 6 * * *", "--timezone", "Mars/Olympus"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 1 and "--timezone: unknown time zone" in out.stderr and "Traceback" not in out.stderr
