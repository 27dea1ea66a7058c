"""Opening the database: write connections for loads only, read-only ones that wait out a load.

DuckDB lets one process hold a file for writing and refuses every other
process meanwhile, readers included. So the flow opens the write connection
only for a load, readers retry for a few seconds, and both turn DuckDB's
lock errors into one line a user can act on.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline import lake
from pipeline.migrations import latest_macro, migrate

DEFAULT_DB = "cityfacts.duckdb"


class DatabaseError(RuntimeError):
    """A database problem the user can act on; str() is the one-line message."""


class DatabaseBusy(DatabaseError):
    pass


def fault_point(name: str) -> None:
    """Test hook for crash and concurrency tests; does nothing unless CITYFACTS_FAULT_PAUSE names this point.

    Then it writes CITYFACTS_FAULT_FILE and waits (up to 5 minutes) while that file exists, so a test can
    kill -9 the process, or try another command, at a known moment: inside a load transaction, say.
    """
    if os.environ.get("CITYFACTS_FAULT_PAUSE") != name:
        return
    flag = Path(os.environ["CITYFACTS_FAULT_FILE"])
    flag.write_text(str(os.getpid()))
    deadline = time.monotonic() + 300
    while flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def exists(target: str | Path) -> bool:
    """Whether there is a store to read: a lake always answers (opening it says when it is missing)."""
    return lake.is_lake(target) or Path(target).exists()


def _is_lock_error(exc: Exception) -> bool:
    msg = str(exc)
    return "lock" in msg.lower() and ("Could not set lock" in msg or "Conflicting lock" in msg or "lock on file" in msg)


def connect(path: str | Path, read_only: bool = False, wait_s: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the database (a DuckDB file, or a DuckLake URL); on a file lock held by another process, retry for
    wait_s, then say it is busy. A lake has no such lock: its writers commit concurrently."""
    if lake.is_lake(path):
        try:
            con = lake.open_lake(str(path), read_only=read_only)
        except lake.LakeError as exc:
            raise DatabaseError(str(exc)) from None
        con.execute(latest_macro(in_lake=True))
        if not read_only:
            migrate(con, in_lake=True)
        return con
    path = Path(path)
    if read_only and not path.exists():
        raise DatabaseError(f"{path}: no such database (run `cityfacts demo` or `cityfacts run` first)")
    deadline = time.monotonic() + wait_s
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise DatabaseError(f"{path}: cannot open: {exc}") from None
            if time.monotonic() >= deadline:
                what = "another cityfacts run is writing to it" if not read_only else "a cityfacts run is loading into it"
                raise DatabaseBusy(f"{path}: the database is busy ({what}); try again when it finishes") from None
            time.sleep(0.2)
        except duckdb.Error as exc:
            raise DatabaseError(f"{path}: not a usable DuckDB database: {exc}") from None
    if not read_only:
        migrate(con)
    return con


@contextmanager
def opened(path: str | Path, read_only: bool, wait_s: float) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for the block, closed after it (so the file lock is held no longer than the block)."""
    con = connect(path, read_only=read_only, wait_s=wait_s)
    try:
        yield con
    finally:
        con.close()


def writer(path: str | Path, wait_s: float = 0.0) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    return opened(path, False, wait_s)


def reader(path: str | Path, wait_s: float = 5.0) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    return opened(path, True, wait_s)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.begin()
    try:
        yield
        con.commit()
    except BaseException:
        try:
            con.rollback()
        except duckdb.TransactionException:
            pass  # a failed commit (a lake's conflict) has already ended the transaction
        raise


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
    """Arrow tables visible to SQL under these names for the block."""
    for name, tbl in tables.items():
        con.register(name, tbl)
    try:
        yield
    finally:
        for name in tables:
            try:
                con.unregister(name)
            except duckdb.Error:
                pass


def table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def sha(data: bytes | str, n: int = 40) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:n]


def article_id(url: str) -> str:
    return sha(url, 20)
