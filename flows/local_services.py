"""Real Redis, PostgreSQL, a Prefect server and Prefect workers on loopback, for `make scale-demo` and the tests.

Each service gets a free port and a private folder, is started from the
Debian packages' binaries and is stopped (with its whole process group) on
exit. They are what a user runs on one machine or many; here they only ever
listen on 127.0.0.1. PostgreSQL refuses to run as root, so as root its
commands run as the `postgres` system user the Debian package creates.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class ServiceError(RuntimeError):
    """A service could not be found or started; str() says which and why."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout_s: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
    raise ServiceError(f"{what} did not start within {timeout_s:.0f} s" + (f":\n{tail}" if tail else ""))


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def missing() -> list[str]:
    """What is not installed of what the scaled-out setup needs (apt packages redis-server, postgresql)."""
    out = []
    if not shutil.which("redis-server"):
        out.append("redis-server (apt install redis-server)")
    if not PG_BIN_DIRS:
        out.append("PostgreSQL server (apt install postgresql)")
    return out


def _stop(proc: subprocess.Popen[bytes], timeout_s: float = 15) -> None:
    """End a service and everything it started (it leads its own process group)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass


def descendants(pid: int) -> list[int]:
    """Every process below pid (its flow runs and their crawl processes, which may lead sessions of their own)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill_tree(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a process and all its descendants at once (kill -9 of a worker's whole machine-worth of work)."""
    for p in [*descendants(pid), pid]:
        try:
            os.kill(p, sig)
        except ProcessLookupError:
            pass


def _spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    fh = log.open("ab")
    # SIGINT back to default: a worker started from a non-interactive shell's background ignores it otherwise.
    return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


@dataclass
class Redis:
    url: str
    proc: subprocess.Popen[bytes]


@contextmanager
def redis_server(folder: Path) -> Iterator[Redis]:
    binary = shutil.which("redis-server")
    if not binary:
        raise ServiceError("redis-server is not installed (apt install redis-server)")
    port = free_port()
    log = folder / "redis.log"
    proc = _spawn([binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder), "--save", "",
                   "--appendonly", "no", "--protected-mode", "yes"], log)
    try:
        wait_until(lambda: port_open(port), 20, "redis-server", log)
        yield Redis(f"redis://127.0.0.1:{port}/0", proc)
    finally:
        _stop(proc)


@dataclass
class Postgres:
    host: str
    port: int
    user: str

    def dsn(self, dbname: str) -> str:
        """libpq keywords, as DuckLake's postgres: catalog takes them."""
        return f"dbname={dbname} host={self.host} port={self.port} user={self.user}"

    def url(self, dbname: str) -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str) -> None:
        psql = next((str(d / "psql") for d in PG_BIN_DIRS if (d / "psql").exists()), "psql")
        subprocess.run([psql, "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", "postgres", "-qc",
                        f'CREATE DATABASE "{name}"'], check=True, capture_output=True)


def _as_postgres_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def postgres_server(folder: Path) -> Iterator[Postgres]:
    if not PG_BIN_DIRS:
        raise ServiceError("PostgreSQL is not installed (apt install postgresql)")
    bindir = PG_BIN_DIRS[0]
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # The postgres user must reach its folder: not under a root-only one (pytest's are 0700).
        folder = Path(tempfile.mkdtemp(prefix="cityfacts-pg-"))
        shutil.chown(folder, "postgres")
    data = folder / "pgdata"
    user = "cityfacts"
    init = subprocess.run(_as_postgres_user([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", user,
                                             "-E", "UTF8"]), capture_output=True, text=True)
    if init.returncode:
        raise ServiceError(f"initdb failed: {init.stderr.strip()[-500:]}")
    port = free_port()
    log = folder / "postgres.log"
    proc = _spawn(_as_postgres_user([str(bindir / "postgres"), "-D", str(data), "-c", "listen_addresses=127.0.0.1",
                                     "-p", str(port), "-k", str(folder), "-c", "fsync=off", "-c", "max_connections=200"]),
                  log)
    try:
        wait_until(lambda: port_open(port), 30, "PostgreSQL", log)
        yield Postgres("127.0.0.1", port, user)
    finally:
        _stop(proc)
        if os.geteuid() == 0:
            shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Prefect:
    api_url: str
    env: dict[str, str]
    folder: Path

    def run(self, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
        """A `prefect` CLI command against this server."""
        return subprocess.run([str(Path(sys.executable).parent / "prefect"), *args], env=self.env, capture_output=True,
                              text=True, timeout=timeout_s, check=True)

    def start_worker(self, pool: str, name: str, cwd: Path) -> subprocess.Popen[bytes]:
        """A process worker polling the pool; it runs each flow run as a child process in cwd."""
        return _spawn([str(Path(sys.executable).parent / "prefect"), "worker", "start", "--pool", pool,
                       "--name", name, "--type", "process"], self.folder / f"{name}.log", self.env, cwd)

    @contextmanager
    def workers(self, pool: str, n: int, cwd: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
        """n workers (worker-0 ...), stopped with everything they started on exit; the list may be changed."""
        procs = [self.start_worker(pool, f"worker-{i}", cwd) for i in range(n)]
        try:
            yield procs
        finally:
            for p in procs:
                _stop(p, 30)
                kill_tree(p.pid)


def prefect_env(folder: Path, api_url: str | None = None, database_url: str | None = None) -> dict[str, str]:
    env = {**os.environ, "PREFECT_HOME": str(folder / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "DO_NOT_TRACK": "1", "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "5",
           "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_UI_ENABLED": "false"}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    if database_url:
        env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
    return env


@contextmanager
def prefect_server(folder: Path, database_url: str) -> Iterator[Prefect]:
    """`prefect server start` on a free loopback port, its database in PostgreSQL (SQLite locks under load)."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = prefect_env(folder, api, database_url)
    log = folder / "prefect-server.log"
    proc = _spawn([str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                   str(port), "--no-ui"], log, {k: v for k, v in env.items() if k != "PREFECT_API_URL"})
    try:
        wait_until(lambda: proc.poll() is None and _healthy(api), 180, "the Prefect server", log)
        yield Prefect(api, env, folder)
    finally:
        _stop(proc, 30)


def _healthy(api: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as r:  # noqa: S310 (loopback only)
            return bool(r.status == 200)
    except OSError:
        return False


@dataclass
class Cluster:
    """Everything a scaled-out run needs, on this machine."""

    folder: Path
    redis: Redis
    postgres: Postgres
    prefect: Prefect
    lake_url: str
    lake_data: Path


@contextmanager
def cluster(folder: Path | None = None, lake_db: str = "cityfacts_lake") -> Iterator[Cluster]:
    """Redis, PostgreSQL (Prefect's database and the lake's catalog), a Prefect server and an initialised lake."""
    with ExitStack() as stack:
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cityfacts-cluster-")))
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o755)
        redis = stack.enter_context(redis_server(folder))
        pg = stack.enter_context(postgres_server(folder / "pg"))
        pg.create_database("prefect")
        pg.create_database(lake_db)
        prefect = stack.enter_context(prefect_server(folder, pg.url("prefect")))
        lake_url = f"ducklake:postgres:{pg.dsn(lake_db)}"
        lake_data = folder / "lake-data"
        subprocess.run([str(Path(sys.executable).parent / "cityfacts"), "lake", "init", "--db", lake_url, "--data",
                        str(lake_data)], check=True, capture_output=True, env=prefect.env)
        yield Cluster(folder, redis, pg, prefect, lake_url, lake_data)
