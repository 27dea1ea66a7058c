"""The spool: what a crawl process hands back to the flow, one JSON record per line.

The crawl runs in a process of its own (Twisted's reactor cannot restart)
and never opens the database (DuckDB lets one process write); it appends
these records to a file, which the flow reads afterwards and loads in one
bulk transaction. The spider yields Page, Failure and Alias records as its
items; the crawl process appends one Summary when it finishes, so a spool
without one is from a crawl that did not. Bodies are zlib-compressed and
base64-encoded, so raw bytes in any encoding survive untouched.
"""
from __future__ import annotations

import base64
import dataclasses
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, ClassVar


@dataclass
class Page:
    """A fetched report page, its bytes as received."""

    kind: ClassVar[str] = "page"
    url: str
    source: str
    lang: str
    status: int
    content_type: str
    fetched_at: str
    body: bytes


@dataclass
class Failure:
    """A URL that could not be fetched or read, and why."""

    kind: ClassVar[str] = "failure"
    url: str
    reason: str


@dataclass
class Alias:
    """A link that redirected to a page (both canonical): not to be fetched again."""

    kind: ClassVar[str] = "alias"
    alias: str
    url: str


@dataclass
class Summary:
    """Written last, by a crawl that finished."""

    kind: ClassVar[str] = "summary"
    started_at: str
    finished_at: str
    requests: int
    failed: int
    limits: str = ""  # crawl bounds reached (max_pages, max_list_pages), comma-separated


Record = Page | Failure | Alias | Summary
KINDS: dict[str, type[Record]] = {cls.kind: cls for cls in (Page, Failure, Alias, Summary)}


def encode(record: Record) -> str:
    data: dict[str, Any] = {"kind": record.kind, **dataclasses.asdict(record)}
    if isinstance(record, Page):
        data["body"] = base64.b64encode(zlib.compress(record.body)).decode("ascii")
    return json.dumps(data, ensure_ascii=False)


def decode(line: str) -> Record | None:
    """The record on one line; None for a torn line (a crash mid-write) or a kind this version does not know."""
    try:
        data = json.loads(line)
        cls = KINDS[data.pop("kind")]
        if cls is Page:
            data["body"] = zlib.decompress(base64.b64decode(data["body"]))
        return cls(**data)
    except (ValueError, KeyError, TypeError, zlib.error):
        return None


class SpoolWriter:
    """Appends records, flushed one by one, so a crash loses at most the line being written."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] | None = self.path.open("a", encoding="utf-8")

    def write(self, record: Record) -> None:
        if self._fh is None:
            raise ValueError(f"{self.path}: spool already closed")
        self._fh.write(encode(record) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> SpoolWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_spool(path: str | Path) -> Iterator[Record]:
    p = Path(path)
    if not p.exists():
        return
    with p.open(encoding="utf-8") as fh:
        for line in fh:
            record = decode(line)
            if record is not None:
                yield record
