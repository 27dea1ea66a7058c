"""A run stopped from outside leaves nothing behind (issue 16): kill -9 takes its crawl and its Prefect API
server with it; Ctrl-C ends it within seconds, keeping what the crawl fetched, recorded as interrupted.

Real processes on an endless loopback site: the installed `cityfacts run`, signalled as a terminal would.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from flows.local_services import descendants
from tests.conftest import ROOT
from tests.test_crawl_bounds import LinkFarm

pytestmark = pytest.mark.slow

CITYFACTS = str(ROOT / ".venv" / "bin" / "cityfacts")


def living(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.append(pid)
    return out


def start_run(tmp_path: Path, site: LinkFarm) -> tuple[subprocess.Popen[str], list[int]]:
    """`cityfacts run` on the endless site, as a terminal's foreground job (its own process group), once it is
    crawling; with the processes under it then."""
    src = tmp_path / "s.yaml"
    src.write_text(f"sources:\n  - name: farm\n    start_urls: ['{site.url}/list/1.html']\n"
                   f"    article_pattern: '/a/[\\d-]+\\.html$'\n    max_list_pages: 10000\n    max_pages: 100000\n"
                   f"    politeness: {{download_delay: 0, autothrottle: false}}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    proc = subprocess.Popen([CITYFACTS, "run", "--sources", str(src), "--db", str(tmp_path / "x.duckdb")],
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while len(site.requests) < 40:
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    kids = descendants(proc.pid)
    cmdlines = [Path(f"/proc/{k}/cmdline").read_bytes() for k in kids]
    assert any(b"crawlers.run" in c for c in cmdlines) and any(b"prefect.server" in c for c in cmdlines), cmdlines
    return proc, kids


def gone_within(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while living(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return living(pids)


def test_kill_9_of_a_run_takes_its_crawl_and_api_server_with_it(tmp_path: Path) -> None:
    with LinkFarm(0.05) as site:
        proc, kids = start_run(tmp_path, site)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        left = gone_within(kids, 10)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, f"orphaned: {left}"
        seen = len(site.requests)
        time.sleep(1)
        assert len(site.requests) == seen  # nothing crawls on behind it


def test_ctrl_c_ends_a_run_within_seconds_keeping_its_pages_as_interrupted(tmp_path: Path) -> None:
    with LinkFarm(0.05) as site:
        proc, kids = start_run(tmp_path, site)
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends its foreground job
        try:
            _, err = proc.communicate(timeout=30)  # it used to take minutes, retrying a dead API
        finally:
            for pid in living(kids + [proc.pid]):
                os.kill(pid, signal.SIGKILL)
        assert proc.returncode == 130, err
        assert not gone_within(kids, 5), "left running"
    assert "Traceback" not in err and "error: interrupted" in err, err
    con = duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True)
    try:
        [(status, fetched, new)] = con.execute("SELECT status, fetched, new_pages FROM crawl_runs").fetchall()
        pages = con.execute("SELECT count(*) FROM pages").fetchone()
    finally:
        con.close()
    assert status == "interrupted" and new > 0 and pages == (new,)
