"""DuckLake as the shared store: a PostgreSQL catalog and Parquet files, written by many workers at once.

A store is named by one string, as a DuckDB file is by its path:
`ducklake:postgres:dbname=cityfacts host=db.example port=5432 user=cityfacts`
(libpq keywords; a password is better kept in PGPASSWORD or ~/.pgpass). The
catalog remembers where the Parquet files live, so only `cityfacts lake init`
needs the data path; every other command just opens the store.

Why DuckLake rather than one DuckDB file: a file admits one writer process,
so two machines cannot load at once; DuckLake commits through the catalog's
transactions, so they can. It has no primary keys, so loads replace rows by
deleting their keys first, and two concurrent appends of the same new key
would both land. Every load therefore also bumps the one row of
`lake_commits`: two loads that overlap in time then conflict at commit, and
the later one is retried on the new state (`retry_conflicts`). Loads are
batches of hundreds of pages, so this serialises commits, not work.

The extensions load from the installed wheels (duckdb-extension-ducklake,
duckdb-extension-postgres-scanner), never from the network.
"""
from __future__ import annotations

import importlib.util
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

PREFIX = "ducklake:"
ALIAS = "lake"
COMMITS_TABLE = "lake_commits"
EXTENSIONS = (("duckdb_extension_postgres_scanner", "postgres_scanner"), ("duckdb_extension_ducklake", "ducklake"))

T = TypeVar("T")


class LakeError(RuntimeError):
    """A lake problem the user can act on; str() is the one-line message."""


def is_lake(target: str | Path) -> bool:
    return str(target).startswith(PREFIX)


def extension_file(package: str, name: str) -> Path:
    """The extension binary a wheel installed; loading it by path never reaches the network."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise LakeError(f"the {package.replace('_', '-')} package is not installed (make install installs it)")
    found = sorted(Path(spec.origin).parent.glob(f"extensions/*/{name}.duckdb_extension"))
    if not found:
        raise LakeError(f"{package}: no {name}.duckdb_extension in the installed wheel")
    return found[-1]


def new_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the lake extensions loaded and extension downloads off."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    for package, name in EXTENSIONS:
        con.execute(f"LOAD '{extension_file(package, name)}'")
    return con


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def open_lake(url: str, read_only: bool = False, data_path: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the lake attached as `lake` and in use; data_path only when creating it."""
    con = new_connection()
    options = ["READ_ONLY"] if read_only else []
    if data_path:
        options.append(f"DATA_PATH {_quote(str(data_path))}")
    elif not read_only:
        options.append("CREATE_IF_NOT_EXISTS false")
    sql = f"ATTACH {_quote(url)} AS {ALIAS}" + (f" ({', '.join(options)})" if options else "")
    try:
        con.execute(sql)
    except duckdb.Error as exc:
        con.close()
        first = str(exc).splitlines()[0]
        if "Unable to connect" in first:  # libpq's reason, without the connection string again
            reason = first.split('": ', 1)[-1] if '": ' in first else first
            raise LakeError(f"{url}: cannot open the lake: its catalog is unreachable: {reason}") from None
        if "does not exist" in first or "not initialized" in first or "CREATE_IF_NOT_EXISTS" in first:
            raise LakeError(f"{url}: no lake there yet (create it with `cityfacts lake init --db '{url}' --data DIR`)") from None
        raise LakeError(f"{url}: cannot open the lake: {first}") from None
    con.execute(f"USE {ALIAS}")
    return con


def data_path(con: duckdb.DuckDBPyConnection) -> str | None:
    """Where the lake keeps its Parquet files (the catalog's setting)."""
    row = con.execute(f"SELECT value FROM __ducklake_metadata_{ALIAS}.ducklake_metadata WHERE key = 'data_path'").fetchone()
    return row[0] if row else None


def claim_commit(con: duckdb.DuckDBPyConnection) -> None:
    """Inside a load transaction: make any overlapping load conflict with this one (see the module doc)."""
    con.execute(f"UPDATE {COMMITS_TABLE} SET commits = commits + 1")


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and "conflict" in str(exc).lower()


def retry_conflicts(fn: Callable[[], T], attempts: int = 30, base_s: float = 0.05) -> T:
    """Run fn (one whole transaction) again when its commit conflicts with another writer's, with jittered backoff."""
    for attempt in range(attempts):
        try:
            return fn()
        except duckdb.Error as exc:
            if not is_conflict(exc) or attempt == attempts - 1:
                raise
            time.sleep(min(2.0, base_s * 2 ** attempt) * (0.5 + random.random()))
    raise AssertionError("unreachable")


def file_count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT count(*) FROM __ducklake_metadata_{ALIAS}.ducklake_data_file WHERE end_snapshot IS NULL").fetchone()
    return int(row[0]) if row else 0


def compact(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Merge small Parquet files (every load writes some), drop expired snapshots' files; returns file counts."""
    con.execute(f"CALL ducklake_flush_inlined_data('{ALIAS}')")  # small loads are kept in the catalog until now
    before = file_count(con)
    con.execute(f"CALL ducklake_merge_adjacent_files('{ALIAS}')")
    con.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', older_than => now())")
    con.execute(f"CALL ducklake_cleanup_old_files('{ALIAS}', cleanup_all => true)")
    return {"files_before": before, "files_after": file_count(con)}


def in_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether this connection writes to a lake (loads then replace keys by hand and claim the commit)."""
    row = con.execute("SELECT count(*) FROM duckdb_databases() WHERE database_name = ? AND type = 'ducklake' "
                      "AND current_database() = ?", [ALIAS, ALIAS]).fetchone()
    return bool(row and row[0])
