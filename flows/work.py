"""The steps of a run as plain functions: crawl in a child process, load pages, extract, load facts.

Prefect tasks (flows/flows.py) wrap these; keeping them free of Prefect lets
`cityfacts reextract`, `extract`, `parse` and the tests call the same code
without paying for an orchestration API. The database is opened for writing
only inside `pipeline.db.writer` blocks, one short transaction each.
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crawlers import spool
from crawlers.parse import parse_page
from crawlers.sources import Source
from crawlers.spool import read_spool
from flows.children import die_with_parent
from flows.errors import RunError, RunInProgress
from nlp.extract import Extractor, too_long
from pipeline import db as store_db
from pipeline import lake, load, queries

PAGE_BATCH = 500  # pages loaded per transaction: memory stays flat however long the crawl

Progress = Callable[[int, int], None]
log = logging.getLogger("cityfacts")
BATCH = 200


_held_locks: dict[str, int] = {}


@contextmanager
def run_lock(db: str | Path) -> Iterator[None]:
    """Hold `<db>.lock` for a whole run so a second run fails fast instead of racing the first.

    Re-entrant within a process: the CLI takes it before starting Prefect (so a refused run says so in
    one line, not in a failed flow's traceback) and the flow takes it again for served runs.
    """
    if lake.is_lake(db):  # a lake takes concurrent writers; its loads retry on conflicting commits
        yield
        return
    path = Path(f"{Path(db).resolve()}.lock")  # the real file's: a symlink or another spelling shares the lock
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
    """What a crawl brought back. The pages stay in the spool file until `load_pages` streams them into the
    database in batches: a crawl's pages are never all held in memory at once."""

    spool: Path | None
    failures: list[dict[str, str]]
    requests: int
    complete: bool
    aliases: dict[str, str] = field(default_factory=dict)
    status: str = "completed"  # completed | incomplete | timeout | interrupted
    log: str = ""  # the crawl process's stderr (tail)
    limits: str = ""  # crawl bounds reached (crawl_runs.limits_hit)
    page_count: int = 0

    def page_batches(self, size: int | None = None) -> Iterator[list[load.PageRecord]]:
        size = size or PAGE_BATCH
        batch: list[load.PageRecord] = []
        for rec in read_spool(self.spool) if self.spool is not None else ():
            if isinstance(rec, spool.Page):
                batch.append(load.PageRecord(rec.url, rec.source, rec.fetched_at, rec.status, rec.content_type or "",
                                             rec.body))
                if len(batch) >= size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    @property
    def pages(self) -> list[load.PageRecord]:
        """All pages at once (tests, small crawls); loading streams them with page_batches instead."""
        return [p for batch in self.page_batches() for p in batch]

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.unlink(missing_ok=True)


def seen_urls(db: str | Path, refetch_days: float | None = None) -> set[str]:
    """URLs not to fetch again; with refetch_days, pages fetched longer ago than that are fetched again."""
    if not store_db.exists(db):
        return set()
    with store_db.reader(db, wait_s=10) as con:
        return queries.seen_page_urls(con, refetch_days) if "pages" in store_db.table_names(con) else set()


LOG_TAIL = 20_000


class SpoolWatcher:
    """Counts what a running crawl has written to its spool (pages, failures), reading only what is new."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset, self.pages, self.failed = path, 0, 0, 0

    def poll(self) -> tuple[int, int]:
        try:
            with self.path.open("rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except OSError:
            return self.pages, self.failed
        complete = data[:data.rfind(b"\n") + 1]  # a line still being written waits for the next poll
        self.offset += len(complete)
        self.pages += complete.count(b'{"kind": "page"')
        self.failed += complete.count(b'{"kind": "failure"')
        return self.pages, self.failed


STALE_S = 2 * 86400  # longer than any crawl (crawl_timeout_s defaults to 6 h) and its load


def sweep_stale(workdir: Path, older_than_s: float = STALE_S) -> int:
    """Remove what crashed runs left in the work folder (spools, source and seen lists, crawl logs). Their pages
    were never stored, so the next crawl fetches them again; kept, they would only fill the disk."""
    cutoff = time.time() - older_than_s
    removed = 0
    for pattern in ("spool-*.jsonl", "sources-*.json", "seen-*.txt", "crawl-*.log"):
        for f in workdir.glob(pattern):
            try:
                if f.stat().st_mtime < cutoff:
                    f.unlink()
                    removed += 1
            except OSError:
                pass
    return removed


def _tail(log_file: Path) -> str:
    try:
        return log_file.read_bytes()[-LOG_TAIL:].decode("utf-8", "replace")
    except OSError:
        return ""


def _run_child(cmd: list[str], timeout_s: float, log_file: Path,
               tick: Callable[[], None] | None = None) -> tuple[int | None, str]:
    """(exit code, or None when it ran out of time and was killed; its stderr's tail). `tick` is called about
    twice a second while the child runs (progress)."""
    with log_file.open("w+b") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                                preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout_s
        try:
            code: int | None = None
            while True:
                try:
                    code = proc.wait(timeout=max(0.0, min(0.5, deadline - time.monotonic())))
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() >= deadline:
                        raise
                    if tick is not None:
                        tick()
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
        except BaseException:  # Ctrl-C or a cancelled flow: the crawl goes with it
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return code, text[-LOG_TAIL:]


def crawl(sources: list[Source], workdir: Path, seen: set[str], since: str | None = None,
          contact: str | None = None, settings: dict[str, Any] | None = None,
          progress: Callable[[int, int], None] | None = None) -> CrawlResult:
    """Run Scrapy in a child process (its reactor cannot restart) and read back its spool.

    A crawl that runs past its sources' `crawl_timeout_s` is killed; what it had fetched is kept and the
    run is marked `timeout`. A crawl that crashes is an error; either way its stderr is kept in the result.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    sweep_stale(workdir)
    tag = uuid.uuid4().hex[:8]
    src_file = workdir / f"sources-{tag}.json"
    seen_file = workdir / f"seen-{tag}.txt"
    spool_file = workdir / f"spool-{tag}.jsonl"
    log_file = workdir / f"crawl-{tag}.log"
    src_file.write_text(json.dumps([s.model_dump() for s in sources]), encoding="utf-8")
    seen_file.write_text("\n".join(sorted(seen)), encoding="utf-8")
    cmd = [sys.executable, "-m", "crawlers.run", "--sources", str(src_file), "--spool", str(spool_file),
           "--seen", str(seen_file)]
    if since:
        cmd += ["--since", since]
    if contact:
        cmd += ["--contact", contact]
    if settings:
        cmd += ["--settings", json.dumps(settings)]
    timeout_s = max(s.crawl_timeout_s for s in sources) if sources else 60.0
    try:
        watcher = SpoolWatcher(spool_file)
        interrupted = False
        try:
            code, log_text = _run_child(cmd, timeout_s, log_file,
                                        (lambda: progress(*watcher.poll())) if progress is not None else None)
        except KeyboardInterrupt:  # Ctrl-C: the crawl is gone already; keep what it fetched (see Interrupted)
            code, log_text, interrupted = None, _tail(log_file), True
        if code not in (0, None):
            tail = (log_text.strip().splitlines() or ["no output"])[-1]
            raise RunError(f"crawl failed (exit {code}): {tail}")
        result = CrawlResult(spool_file, [], 0, False, log=log_text)
        for rec in read_spool(spool_file):
            if isinstance(rec, spool.Page):
                result.page_count += 1
            elif isinstance(rec, spool.Alias):
                result.aliases[rec.alias] = rec.url
            elif isinstance(rec, spool.Failure):
                result.failures.append({"url": rec.url, "reason": rec.reason})
            elif isinstance(rec, spool.Summary):
                result.requests, result.complete, result.limits = rec.requests, True, rec.limits
        if interrupted:
            result.status = "interrupted"
            result.log += f"\ncityfacts: crawl interrupted (Ctrl-C); {result.page_count} pages kept\n"
        elif code is None:
            result.status = "timeout"
            result.log += f"\ncityfacts: crawl stopped after {timeout_s:g} s (crawl_timeout_s); {result.page_count} pages kept\n"
        elif not result.complete:
            result.status = "incomplete"
        return result
    except BaseException:
        spool_file.unlink(missing_ok=True)
        raise
    finally:
        for f in (src_file, seen_file, log_file):  # the spool stays for load_pages, which removes it
            f.unlink(missing_ok=True)


def relevant(text: str, keywords: list[str]) -> bool:
    """A page passes its source's keyword filter (no keywords: every page does)."""
    if not keywords:
        return True
    low = text.lower()
    return any(k.lower() in low for k in keywords)


def extract_pages(pages: list[queries.StoredPage], sources: dict[str, Source], extractor: Extractor,
                  since: str | None = None) -> tuple[list[load.ArticleRecord], list[str]]:
    """Parse and extract stored pages: (articles, URLs that fail their source's keyword filter).

    Pages with no main text (empty, binary, all chrome) are judged irrelevant too; pages dated
    before `since` are left unjudged, for a later run without it.
    """
    kept, irrelevant = [], []
    for p in pages:
        src = sources.get(p.source)
        selectors = src.selectors.model_dump() if src else None
        page = parse_page(p.body, p.url, p.content_type, selectors)
        reason = too_long(page.text)
        if reason is not None:  # said now, not after the batch has held it (and its raw page) to the end
            log.warning("%s: not extracted: %s", p.url, reason)
            irrelevant.append(p.url)
            continue
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
    for (p, page), ex in zip(kept, extractor.extract_many([pg.text for _, pg in kept], hints,
                                                                 published=[pg.published for _, pg in kept]), strict=True):
        if isinstance(ex, Exception):
            log.warning("%s: not extracted: %s", p.url, ex)
            irrelevant.append(p.url)
            continue
        out.append(load.ArticleRecord(p.url, p.source, page.title, page.published, page.text, p.content_hash, ex))
    return out, irrelevant


def extract_stored(db: str | Path, sources: list[Source] | None = None, everything: bool = False,
                   since: str | None = None, progress: Progress | None = None, run_id: str | None = None,
                   extractor: Extractor | None = None, only_run: bool = False, not_runs_like: str | None = None
                   ) -> dict[str, int]:
    """Extract the stored pages that need it, in batches: read-only to read, one short write per batch.
    only_run: just the pages run_id stored; not_runs_like: just pages stored by runs not named like it."""
    if not store_db.exists(db):
        return {"articles": 0, "facts": 0, "irrelevant": 0}
    by_name = {s.name: s for s in sources or []}
    with store_db.reader(db, wait_s=30) as con:
        urls = queries.pages_to_extract(con, everything, list(by_name) if sources else None,
                                        run_id if only_run else None, not_runs_like)
    extractor = extractor or Extractor()
    totals = {"articles": 0, "facts": 0, "irrelevant": 0}
    done = 0
    if progress:
        progress(0, len(urls))
    for i in range(0, len(urls), BATCH):
        chunk = urls[i:i + BATCH]
        with store_db.reader(db, wait_s=30) as con:
            pages = queries.read_pages(con, chunk)
        articles, irrelevant = extract_pages(pages, by_name, extractor, since)
        store_db.fault_point("extract")
        with store_db.writer(db, wait_s=30) as con:
            counts = load.load_articles(con, articles, irrelevant, run_id)
        for k in totals:
            totals[k] += counts[k]
        done += len(chunk)
        if progress:
            progress(done, len(urls))
    return totals


def new_run(sources: list[Source], run_id: str | None = None) -> load.RunRecord:
    return load.RunRecord(run_id=run_id or uuid.uuid4().hex[:16], started_at=datetime.now(UTC),
                           sources=[s.name for s in sources])


def load_pages(db: str | Path, sources: list[Source], result: CrawlResult, run: load.RunRecord) -> dict[str, int]:
    run.requests = result.requests
    run.failures = result.failures
    run.status = result.status
    run.crawl_log = result.log or None
    run.limits_hit = result.limits or None
    totals = {"pages": 0, "new": 0, "changed": 0, "unchanged": 0}
    # The spool is removed only once everything is stored: a retried load reads it again.
    with store_db.writer(db, wait_s=30) as con:
        load.save_sources(con, [s.model_dump() for s in sources])
        batches = result.page_batches()
        batch: list[load.PageRecord] | None = next(batches, None)
        while True:
            following = next(batches, None) if batch is not None else None
            last = following is None
            # Each batch in its own transaction; the last one also records the run with the totals.
            counts = load.load_pages(con, batch or [], run, result.aliases if last else None, record_run=last,
                                     carried=totals)
            for k in totals:
                totals[k] += counts[k]
            if last:
                break
            batch = following
    result.discard()
    return totals
