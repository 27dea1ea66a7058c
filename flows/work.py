"""The steps of a run as plain functions: crawl in a child process, load pages, extract, load facts.

Prefect tasks (flows/flows.py) wrap these; keeping them free of Prefect lets
`cityfacts reextract`, `extract`, `parse` and the tests call the same code
without paying for an orchestration API. The database is opened for writing
only inside `store.writer` blocks, one short transaction each.
"""
from __future__ import annotations

import fcntl
import logging
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
log = logging.getLogger("cityfacts")
BATCH = 200


class RunError(RuntimeError):
    """A run that cannot go on; str() is the one-line message for the user."""


class RunInProgress(RunError):
    pass


_held_locks: dict[str, int] = {}


@contextmanager
def run_lock(db: str | Path) -> Iterator[None]:
    """Hold `<db>.lock` for a whole run so a second run fails fast instead of racing the first.

    Re-entrant within a process: the CLI takes it before starting Prefect (so a refused run says so in
    one line, not in a failed flow's traceback) and the flow takes it again for served runs.
    """
    path = Path(f"{db}.lock").resolve()
    key = str(path)
    if _held_locks.get(key):
        _held_locks[key] += 1
        try:
            yield
        finally:
            _held_locks[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise RunInProgress(f"{db}: another run is in progress (lock {path}); wait for it to finish") from None
    _held_locks[key] = 1
    try:
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        _held_locks.pop(key, None)
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


@dataclass
class CrawlResult:
    pages: list[store.PageRecord]
    failures: list[dict[str, str]]
    requests: int
    complete: bool
    aliases: dict[str, str] = field(default_factory=dict)


def _tables(con: Any) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def seen_urls(db: str | Path, refetch_days: float | None = None) -> set[str]:
    """URLs not to fetch again; with refetch_days, pages fetched longer ago than that are fetched again."""
    if not Path(db).exists():
        return set()
    con = store.connect(db, read_only=True, wait_s=10)
    try:
        return store.seen_page_urls(con, refetch_days) if "pages" in _tables(con) else set()
    finally:
        con.close()


def crawl(sources: list[Source], workdir: Path, seen: set[str], since: str | None = None,
          contact: str | None = None, settings: dict[str, Any] | None = None) -> CrawlResult:
    """Run Scrapy in a child process (its reactor cannot restart) and read back its spool."""
    workdir.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    src_file = workdir / f"sources-{tag}.json"
    seen_file = workdir / f"seen-{tag}.txt"
    spool = workdir / f"spool-{tag}.jsonl"
    src_file.write_text(json.dumps([s.model_dump() for s in sources]), encoding="utf-8")
    seen_file.write_text("\n".join(sorted(seen)), encoding="utf-8")
    cmd = [sys.executable, "-m", "crawlers.run", "--sources", str(src_file), "--spool", str(spool), "--seen", str(seen_file)]
    if since:
        cmd += ["--since", since]
    if contact:
        cmd += ["--contact", contact]
    if settings:
        cmd += ["--settings", json.dumps(settings)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    try:
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise RunError(f"crawl failed (exit {proc.returncode}): {tail}")
        pages, failures, requests, complete = [], [], 0, False
        aliases: dict[str, str] = {}
        for rec in read_spool(spool):
            kind = rec.get("kind")
            if kind == "page":
                pages.append(store.PageRecord(rec["url"], rec["source"], rec["fetched_at"], rec["status"],
                                              rec.get("content_type") or "", rec["body"]))
            elif kind == "alias":
                aliases[rec["alias"]] = rec["url"]
            elif kind == "failure":
                failures.append({"url": rec["url"], "reason": rec["reason"]})
            elif kind == "summary":
                requests, complete = rec.get("requests", 0), True
        return CrawlResult(pages, failures, requests, complete, aliases)
    finally:
        for f in (src_file, seen_file, spool):
            f.unlink(missing_ok=True)


def relevant(text: str, keywords: list[str]) -> bool:
    """A page passes its source's keyword filter (no keywords: every page does)."""
    if not keywords:
        return True
    low = text.lower()
    return any(k.lower() in low for k in keywords)


def extract_pages(pages: list[store.StoredPage], sources: dict[str, Source], extractor: Extractor,
                  since: str | None = None) -> tuple[list[store.ArticleRecord], list[str]]:
    """Parse and extract stored pages: (articles, URLs that fail their source's keyword filter).

    Pages with no main text (empty, binary, all chrome) are judged irrelevant too; pages dated
    before `since` are left unjudged, for a later run without it.
    """
    kept, irrelevant = [], []
    for p in pages:
        src = sources.get(p.source)
        selectors = src.selectors.model_dump() if src else None
        page = parse_page(p.body, p.url, p.content_type, selectors)
        if not page.text.strip():
            irrelevant.append(p.url)
            continue
        if since and page.published and page.published < since:
            continue
        if not relevant(f"{page.title or ''}\n{page.text}", src.keywords if src else []):
            irrelevant.append(p.url)
            continue
        kept.append((p, page))
    hints = [sources[p.source].lang if p.source in sources and sources[p.source].lang != "auto" else None for p, _ in kept]
    out = []
    for (p, page), ex in zip(kept, extractor.extract_many([pg.text for _, pg in kept], hints)):
        if isinstance(ex, Exception):
            log.warning("%s: not extracted: %s", p.url, ex)
            irrelevant.append(p.url)
            continue
        out.append(store.ArticleRecord(p.url, p.source, page.title, page.published, page.text, p.content_hash, ex))
    return out, irrelevant


def extract_stored(db: str | Path, sources: list[Source] | None = None, everything: bool = False,
                   since: str | None = None, progress: Progress | None = None, run_id: str | None = None,
                   extractor: Extractor | None = None) -> dict[str, int]:
    """Extract the stored pages that need it, in batches: read-only to read, one short write per batch."""
    if not Path(db).exists():
        return {"articles": 0, "facts": 0, "irrelevant": 0}
    by_name = {s.name: s for s in sources or []}
    con = store.connect(db, read_only=True, wait_s=30)
    try:
        urls = store.pages_to_extract(con, everything, list(by_name) if sources else None)
    finally:
        con.close()
    extractor = extractor or Extractor()
    totals = {"articles": 0, "facts": 0, "irrelevant": 0}
    done = 0
    if progress:
        progress(0, len(urls))
    for i in range(0, len(urls), BATCH):
        chunk = urls[i:i + BATCH]
        con = store.connect(db, read_only=True, wait_s=30)
        try:
            pages = store.read_pages(con, chunk)
        finally:
            con.close()
        articles, irrelevant = extract_pages(pages, by_name, extractor, since)
        store.fault_point("extract")
        with store.writer(db, wait_s=30) as con:
            counts = store.load_articles(con, articles, irrelevant, run_id)
        for k in totals:
            totals[k] += counts[k]
        done += len(chunk)
        if progress:
            progress(done, len(urls))
    return totals


def new_run(sources: list[Source]) -> store.RunRecord:
    return store.RunRecord(run_id=uuid.uuid4().hex[:16], started_at=datetime.now(timezone.utc),
                           sources=[s.name for s in sources])


def load_pages(db: str | Path, sources: list[Source], result: CrawlResult, run: store.RunRecord) -> dict[str, int]:
    run.requests = result.requests
    run.failures = result.failures
    run.status = "completed" if result.complete else "incomplete"
    with store.writer(db, wait_s=30) as con:
        store.save_sources(con, [s.model_dump() for s in sources])
        return store.load_pages(con, result.pages, run, result.aliases)
