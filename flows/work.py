"""The steps of a run as plain functions: crawl in a child process, parse and extract, load.

Prefect tasks (flows/flows.py) wrap these; keeping them free of Prefect lets
`cityfacts extract/parse` and the tests call the same code without paying
for an orchestration API.
"""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from crawlers.parse import parse_page
from crawlers.pipelines import read_spool
from crawlers.sources import Source
from nlp.extract import Extractor
from pipeline import store

Progress = Callable[[int, int], None]


class RunError(RuntimeError):
    """A run that cannot go on; str() is the one-line message for the user."""


class RunInProgress(RunError):
    pass


@contextmanager
def run_lock(db: str | Path) -> Iterator[None]:
    """Hold `<db>.lock` for a whole run so a second run fails fast instead of racing the first."""
    path = Path(f"{db}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise RunInProgress(f"{db}: another run is in progress (lock {path}); wait for it to finish") from None
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


@dataclass
class CrawlResult:
    pages: list[store.PageRecord]
    failures: list[dict[str, str]]
    requests: int
    complete: bool


def seen_urls(db: str | Path) -> set[str]:
    if not Path(db).exists():
        return set()
    con = store.connect(db, read_only=True, wait_s=10)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return store.seen_article_urls(con) if "articles" in tables else set()
    finally:
        con.close()


def crawl(sources: list[Source], workdir: Path, seen: set[str]) -> CrawlResult:
    """Run Scrapy in a child process (its reactor cannot restart) and read back its spool."""
    workdir.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    src_file = workdir / f"sources-{tag}.json"
    seen_file = workdir / f"seen-{tag}.txt"
    spool = workdir / f"spool-{tag}.jsonl"
    src_file.write_text(json.dumps([s.model_dump() for s in sources]), encoding="utf-8")
    seen_file.write_text("\n".join(sorted(seen)), encoding="utf-8")
    cmd = [sys.executable, "-m", "crawlers.run", "--sources", str(src_file), "--spool", str(spool), "--seen", str(seen_file)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    try:
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RunError(f"crawl failed (exit {proc.returncode}): {tail}")
        pages, failures, requests, complete = [], [], 0, False
        for rec in read_spool(spool):
            kind = rec.get("kind")
            if kind == "page":
                pages.append(store.PageRecord(rec["url"], rec["source"], rec["fetched_at"], rec["status"],
                                              rec.get("content_type") or "", rec["body"]))
            elif kind == "failure":
                failures.append({"url": rec["url"], "reason": rec["reason"]})
            elif kind == "summary":
                requests, complete = rec.get("requests", 0), True
        return CrawlResult(pages, failures, requests, complete)
    finally:
        for f in (src_file, seen_file, spool):
            f.unlink(missing_ok=True)


def pages_to_extract(db: str | Path, pages: list[store.PageRecord]) -> list[store.PageRecord]:
    """Pages whose article is missing or was extracted from different bytes."""
    if not Path(db).exists() or not pages:
        return pages
    con = store.connect(db, read_only=True, wait_s=10)
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "articles" not in tables:
            return pages
        known = dict(con.execute("SELECT url, content_hash FROM articles").fetchall())
    finally:
        con.close()
    return [p for p in pages if known.get(p.url) != p.content_hash]


def extract(pages: list[store.PageRecord], langs: dict[str, str], extractor: Extractor | None = None,
            progress: Progress | None = None) -> list[store.ArticleRecord]:
    """Parse each page's main text and extract its facts; pages with no text are skipped."""
    extractor = extractor or Extractor()
    parsed = []
    for p in pages:
        page = parse_page(p.body, p.url, p.content_type)
        if page.text.strip():
            parsed.append((p, page))
    lang_hints = [langs.get(p.source) if langs.get(p.source) in ("en", "zh") else None for p, _ in parsed]
    out: list[store.ArticleRecord] = []
    results = extractor.extract_many([pg.text for _, pg in parsed], lang_hints)
    for i, ((p, page), ex) in enumerate(zip(parsed, results), 1):
        out.append(store.ArticleRecord(p.url, p.source, page.title, page.published, page.text, p.content_hash, ex))
        if progress:
            progress(i, len(parsed))
    return out


@dataclass
class RunSummary:
    run_id: str
    requests: int = 0
    loaded: dict[str, int] = field(default_factory=dict)
    failures: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "requests": self.requests, **self.loaded, "failed": len(self.failures)}


def new_run(sources: list[Source]) -> store.RunRecord:
    return store.RunRecord(run_id=uuid.uuid4().hex[:16], started_at=datetime.now(timezone.utc),
                           sources=[s.name for s in sources])


def load(db: str | Path, sources: list[Source], pages: list[store.PageRecord],
         articles: list[store.ArticleRecord], run: store.RunRecord) -> dict[str, int]:
    with store.writer(db, wait_s=30) as con:
        store.save_sources(con, [s.model_dump() for s in sources])
        return store.load(con, pages, articles, run)
