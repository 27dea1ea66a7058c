"""Item pipeline: append each fetched page to the run's spool file (JSON lines).

The crawl runs in its own process and never opens the database (DuckDB lets
one process write); the flow loads the spool afterwards in one bulk
transaction. Bodies are zlib-compressed and base64-encoded so raw bytes in
any encoding survive untouched.
"""
from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path
from typing import Any


class SpoolPipeline:
    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.fh: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> "SpoolPipeline":
        return cls(crawler.settings.get("CITYFACTS_SPOOL", "spool.jsonl"))

    def open_spider(self, spider: Any = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = self.path.open("a", encoding="utf-8")

    def close_spider(self, spider: Any = None) -> None:
        if self.fh:
            self.fh.close()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        record = {k: item.get(k) for k in ("url", "source", "lang", "status", "content_type", "fetched_at")}
        record["kind"] = "page"
        record["body_z"] = base64.b64encode(zlib.compress(item["body"])).decode("ascii")
        self.fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.fh.flush()
        return item


def read_spool(path: str | Path):
    """Yield spool records with `body` (bytes) restored; a torn last line (crash mid-write) is skipped."""
    p = Path(path)
    if not p.exists():
        return
    with p.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "body_z" in rec:
                rec["body"] = zlib.decompress(base64.b64decode(rec.pop("body_z")))
            yield rec
