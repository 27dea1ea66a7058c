"""Schedules that fire: a cron deployment served against a real Prefect server.

Prefect's temporary API (what a plain flow call starts) never fires cron
schedules, so `cityfacts schedule` needs a server: the one PREFECT_API_URL
names, or one it starts itself (`prefect server start` on 127.0.0.1, a free
port) and stops when it exits. The flow is served from this process; each
scheduled run executes it in a child process, as Prefect's runner does.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.errors import ScheduleError
from flows.prefect_env import configure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as r:
            return r.status == 200
    except OSError:
        return False


@contextmanager
def local_server(port: int | None = None, startup_s: float = 120.0, log: Path | None = None) -> Iterator[str]:
    """Run `prefect server start` on 127.0.0.1 for the duration; yields its API URL."""
    port = port or free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    env.pop("PREFECT_API_URL", None)
    out = open(log, "ab") if log else None  # closed in finally
    proc = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=out or subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + startup_s
        while not healthy(api):
            if proc.poll() is not None:
                raise ScheduleError(f"prefect server exited with code {proc.returncode} before becoming healthy"
                                    + (f" (log: {log})" if log else ""))
            if time.monotonic() > deadline:
                raise ScheduleError(f"prefect server did not answer on {api} within {startup_s:.0f} s")
            time.sleep(0.5)
        yield api
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if out is not None:
            out.close()


def validate_cron(cron: str) -> None:
    """Check the expression with cronsim (what Prefect itself uses) without importing Prefect:
    Prefect reads PREFECT_API_URL once, at import, and the server's address is not known yet."""
    from datetime import datetime

    from cronsim import CronSim, CronSimError

    try:
        next(CronSim(cron, datetime.now()))
    except (CronSimError, StopIteration, ValueError) as exc:
        raise ScheduleError(f"--cron: not a valid cron expression: {cron!r} ({exc})") from None


def validate_timezone(timezone: str) -> str:
    """An IANA time zone name (Asia/Shanghai, UTC), checked against the system's zone database."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"--timezone: unknown time zone {timezone!r} (an IANA name such as Asia/Shanghai or UTC)") from None
    return timezone


def serve(cron: str, sources_file: Path, db: Path, name: str, since: str | None = None,
          announce=print, timezone: str = "UTC") -> None:
    """Serve the run flow as a cron deployment until interrupted (SIGINT or SIGTERM); the cron runs in `timezone`."""
    if "prefect" in sys.modules:
        raise ScheduleError("internal: Prefect was imported before its API URL was set")
    validate_cron(cron)
    validate_timezone(timezone)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)

    def go(api: str) -> None:
        os.environ["PREFECT_API_URL"] = api
        configure()
        from flows.flows import run_flow

        params = {"sources_file": str(sources_file.resolve()), "db": str(db.resolve())}
        if since:
            params["since"] = since
        announce(f"serving deployment cityfacts-run/{name} on cron {cron!r} ({timezone}) against {api}; Ctrl-C stops it")
        from prefect.schedules import Cron

        try:
            run_flow.serve(name=name, schedule=Cron(cron, timezone=timezone), parameters=params, print_starting_message=False)
        except KeyboardInterrupt:
            pass

    api = os.environ.get("PREFECT_API_URL")
    if api:
        if not healthy(api):
            raise ScheduleError(f"PREFECT_API_URL={api} does not answer /health; start that server or unset the variable")
        go(api)
        return
    log = db.resolve().parent / ".cityfacts-work" / "prefect-server.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with local_server(log=log) as api:
        ui = api.removesuffix("/api")
        announce(f"started a local Prefect server: UI {ui}  API {api}  (log {log}); it stops when this command stops")
        go(api)
