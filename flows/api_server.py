"""The Prefect API a local run talks to: a server process of its own, in its own session, that dies with the run.

Why not Prefect's temporary server: Prefect starts it as a plain child. A
kill -9 of `cityfacts run` then leaves it running for ever; a Ctrl-C in the
terminal reaches it along with the run and kills it first, so the run's own
shutdown (recording the interrupted crawl, telling Prefect the flow crashed)
retries against a dead API for minutes. This starts the same server (the app
Prefect's temporary server runs, under uvicorn, UI off) as a child that a
terminal's Ctrl-C does not reach (`start_new_session`) and that Linux kills
when the run dies, kill -9 included (flows/children.py `die_with_parent`); the
run stops it on its way out.

Used only when Prefect's settings name no API (PREFECT_API_URL from the
environment, a profile, prefect.toml; or a test harness's temporary
settings): with one, the run talks to that.
"""
from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import closing

from flows.children import die_with_parent
from flows.errors import RunError

STARTUP_S = 120.0  # Prefect's own default for its temporary server on a slow machine

_server: dict[str, subprocess.Popen[bytes]] = {}


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:  # noqa: S310 (loopback URL we built)
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def ensure_api(startup_s: float = STARTUP_S) -> str | None:
    """Start the run's own API server unless Prefect's settings name one; its URL (None: another API is used)."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    from flows.prefect_env import configure

    configure()
    from prefect.context import refresh_global_settings_context
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:
        return None
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    # The flags Prefect's own temporary server is started with: no UI, the background services meant for it.
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "error", "--lifespan", "on"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
        start_new_session=True, preexec_fn=die_with_parent)
    _server["proc"] = proc
    atexit.register(stop_api)
    deadline = time.monotonic() + startup_s
    while not _healthy(url):
        if proc.poll() is not None:
            log.seek(0)
            err = log.read().decode("utf-8", "replace").strip().splitlines()
            raise RunError(f"the local Prefect API server did not start: {err[-1] if err else f'exit {proc.returncode}'}")
        if time.monotonic() > deadline:
            stop_api()
            raise RunError(f"the local Prefect API server did not answer within {startup_s:g} s")
        time.sleep(0.1)
    os.environ["PREFECT_API_URL"] = url
    refresh_global_settings_context()  # Prefect read its settings on import: have it read them again
    return url


def stop_api() -> None:
    """Stop the run's own server (a no-op when there is none): asked politely first, as Prefect stops its own."""
    proc = _server.pop("proc", None)
    if proc is None:
        return
    os.environ.pop("PREFECT_API_URL", None)
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
