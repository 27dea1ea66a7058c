"""Shared fixtures: the demo site on a free loopback port, one Prefect test API per session."""
from __future__ import annotations

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# Before anything imports Prefect: a private home, no analytics, nothing beyond loopback.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="cityfacts-prefect-"))
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EVAL_DEV = ROOT.parent / "shared" / "eval" / "dev"


@pytest.fixture(scope="session")
def prefect_api():
    from flows.prefect_env import configure

    configure()
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture()
def demo_site():
    from flows.demo_server import DemoSite

    with DemoSite() as site:
        yield site


@pytest.fixture(scope="session")
def extractor():
    from nlp.extract import Extractor

    return Extractor()


@pytest.fixture()
def demo_sources() -> Path:
    return ROOT / "flows" / "demo_site" / "sources.yaml"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def cli(*args: str, input: str | None = None) -> CliResult:
    """Run a cityfacts command in this process (typer's CliRunner): what the user sees, without a start-up each.

    An exception that is not a user error (flows/errors.py) propagates and fails the test; tests/test_cli_smoke.py
    runs the installed console entry point in real subprocesses.
    """
    from typer.testing import CliRunner

    from flows.cli import app

    r = CliRunner().invoke(app, list(args), input=input, catch_exceptions=False, env={"COLUMNS": "200"})
    return CliResult(r.exit_code, r.stdout, r.stderr)


CLI_PROCESS = [sys.executable, "-c", "from flows.cli import main; main()"]


def require_services(*names: str) -> None:
    """Skip a test whose real services (redis-server, PostgreSQL) are not installed, naming them; on CI, where
    `.ci/run` installs them, fail instead. names: which to require (default: every scale-out service)."""
    from flows.local_services import missing

    lack = [m for m in missing() if not names or any(n in m for n in names)]
    if lack:
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the scale-out services (.ci/run installs them): missing {', '.join(lack)}")
        pytest.skip(f"not installed: {', '.join(lack)}")
