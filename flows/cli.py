"""The `cityfacts` command line: each command parses its options and calls one library function.

Commands that orchestrate a crawl (`demo`, `run`, `crawl`, `schedule`) go
through Prefect; commands that only read or compute (`extract`, `parse`,
`sql`, `compare`, ...) call the library directly and never import Prefect,
which would cost seconds of start-up for nothing. Heavy imports (spaCy,
trafilatura, Prefect) happen inside the commands that need them.

Every error a user can act on (flows/errors.py USER_ERRORS) is turned into
one `error: ...` line and exit status 1 in one place, CityfactsGroup.
"""
from __future__ import annotations

import re
import sys
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from flows.errors import USER_ERRORS, CliError, Interrupted
from pipeline.db import DEFAULT_DB
from pipeline.db import exists as store_db_exists

# Markup off: file names, crawled titles and sentences are printed as the text they are ("[/]" in a title must
# not crash a command, "[link=...]" must not become a live link). Styling goes through Text objects.
console = Console(stderr=True, markup=False)
out = Console(markup=False)


def error_line(message: str) -> None:
    console.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True)


def warning_line(message: str) -> None:
    console.print(Text.assemble(("warning:", "yellow"), " ", message), highlight=False, soft_wrap=True)


class CityfactsGroup(TyperGroup):
    """The one handler: a user error anywhere below becomes one line on stderr and exit status 1."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click.Context
        GIVEN.clear()
        try:
            return super().invoke(ctx)
        except USER_ERRORS as exc:
            error_line(str(exc))
            raise typer.Exit(1) from None
        except KeyboardInterrupt as exc:
            # Ctrl-C: one line and the shell's code for it. An interrupted crawl says what it kept.
            error_line(str(exc) if isinstance(exc, Interrupted) and str(exc) else "interrupted")
            raise typer.Exit(130) from None
        except duckdb.Error as exc:
            # What opening could not tell: a database damaged inside, a disk that filled up during a write.
            db = GIVEN.get("db")
            error_line(f"{db + ': ' if db else ''}database error: {_first_line(exc)}")
            raise typer.Exit(1) from None


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


GIVEN: dict[str, str] = {}  # the database the running command was given, for its error line


def _given_db(value: str | None) -> str | None:
    """--db's callback: remember the database, so an error from deep inside can name it."""
    if value:
        GIVEN["db"] = str(value)
    return value


app = typer.Typer(cls=CityfactsGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Track what Chinese cities report about production-education integration (产教融合).")
sources_app = typer.Typer(help="Inspect and check sources files.", no_args_is_help=True)
lake_app = typer.Typer(help="Create and maintain a shared DuckLake store (PostgreSQL catalog, Parquet files).",
                       no_args_is_help=True)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"cityfacts {version('cityfacts')}")
        except PackageNotFoundError:
            print("cityfacts (not installed)")
        raise typer.Exit()


QUIET = {"on": False}  # -q: no progress bars or summary lines, only data and errors


@app.callback()
def main_options(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                       help="Print the version and exit.")] = False,
                 verbose: Annotated[int, typer.Option("-v", "--verbose", count=True,
                                                      help="Show the flow's log lines, errors with their tracebacks "
                                                           "included (-v), and debug lines (-vv).")] = 0,
                 quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bars or summary lines: only "
                                                                             "data and errors.")] = False) -> None:
    """Track what Chinese cities report about production-education integration (产教融合)."""
    import os

    QUIET["on"] = quiet
    # Prefect's log lines would be written over the progress bar, and a failed task logs its traceback before
    # the one line that says what went wrong (disk full, database damaged): by default Prefect says nothing.
    level = "DEBUG" if verbose > 1 else "INFO" if verbose == 1 else "CRITICAL"
    os.environ["PREFECT_LOGGING_LEVEL"] = level
app.add_typer(sources_app, name="sources")
app.add_typer(lake_app, name="lake")


class Format(StrEnum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"


class Status(StrEnum):
    actual = "actual"
    target = "target"


class Aspect(StrEnum):
    total = "total"
    added = "added"
    per_year = "per_year"


class Level(StrEnum):
    national = "national"
    provincial = "provincial"
    municipal = "municipal"
    county = "county"


class Scope(StrEnum):
    city = "city"
    part = "part"


Db = Annotated[str, typer.Option("--db", envvar="CITYFACTS_DB", callback=_given_db,
                                  help="DuckDB file, or a shared DuckLake store: 'ducklake:postgres:dbname=NAME host=HOST "
                                       "user=USER' (create it with `cityfacts lake init`).")]
SourcesFile = Annotated[Path, typer.Option("--sources", help="YAML sources file (see README).")]
Since = Annotated[str | None, typer.Option("--since", help="Skip reports published before this day (YYYY-MM-DD).")]
Only = Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable); default: all in the file.")]
Vars = Annotated[list[str] | None, typer.Option("--var", help="NAME=VALUE for a {NAME} placeholder in the sources file's "
                                                             "URLs (repeatable), e.g. --var demo=http://127.0.0.1:8000")]


def parse_vars(values: list[str] | None) -> dict[str, str] | None:
    if not values:
        return None
    out = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise CliError(f"--var: expected NAME=VALUE, got {v!r}")
        out[name.strip()] = value.strip().rstrip("/")
    return out
OutFormat = Annotated[Format, typer.Option("--format", help="table, csv, tsv, json (one array) or jsonl (one object "
                                                            "per line).")]
NoHeaders = Annotated[bool, typer.Option("--no-headers", help="csv/tsv/table: leave out the header line.")]
AsJson = Annotated[bool, typer.Option("--json", help="One JSON object per input, one per line (= --format jsonl).")]
RecordFormat = Annotated[Format, typer.Option("--format", help="table; json (one array) or jsonl (an object per input); "
                                                               "csv or tsv (a row per fact, or per page).")]


def bundled_sources() -> Path:
    return Path(str(resources.files("crawlers").joinpath("data", "sources_cn.yaml")))


def checked_date(value: str | None, option: str) -> str | None:
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise CliError(f"{option}: expected a date as YYYY-MM-DD, got {value!r}") from None


def progress_bar(label: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False, disable=QUIET["on"])


class BarProgress:
    """The callback long work moves a bar with: progress(done, total) while extracting; .crawling(pages, failed)
    while a crawl runs (the child's spool, read as it grows)."""

    def __init__(self, progress: Any, bar: Any, label: str) -> None:
        self.progress, self.bar, self.label = progress, bar, label

    def __call__(self, done: int, total: int | None) -> None:
        self.progress.update(self.bar, completed=done, total=total, description=f"[bold]{self.label}")

    def crawling(self, pages: int, failed: int) -> None:
        self.progress.update(self.bar, completed=0, total=None,
                             description=f"[bold]crawling[/]: {pages} pages fetched, {failed} failed")


def run_with_progress(label: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call fn(..., progress=callback) with a progress bar that the callback moves."""
    with progress_bar(label) as progress:
        bar = progress.add_task(f"[bold]{label}", total=None)
        return fn(*args, progress=BarProgress(progress, bar, label), **kwargs)


def emit(columns: list[str], rows: list[tuple[Any, ...]], fmt: str, title: str | None = None, headers: bool = True,
         limit: int | None = None) -> None:
    from flows.output import emit as render

    render(columns, rows, fmt, title=title, console=out, headers=headers, limit=limit)


def write_json_lines(records: list[dict[str, Any]], fmt: str = "jsonl") -> None:
    from flows.output import write_records

    write_records(records, fmt)


def _run(sources: Path, db: str, extract_articles: bool, since: str | None, only: list[str] | None,
         variables: dict[str, str] | None = None) -> None:
    from flows.runs import describe, run_sources, validate

    validate(sources, db, variables, only)
    result = run_with_progress("extracting", run_sources, sources, db, variables, extract_articles,
                               checked_date(since, "--since"), only)
    if not QUIET["on"]:
        console.print(describe(result), soft_wrap=True)


@app.command()
def demo(db: Db = DEFAULT_DB,
         serve: Annotated[bool, typer.Option("--serve", help="Only serve the demo site (until Ctrl-C) and write a sources "
                                                             "file for it, to try run, crawl and schedule by hand.")] = False,
         port: Annotated[int, typer.Option("--port", min=0, max=65535, help="With --serve: the port (0: any free one).")] = 0,
         sources_out: Annotated[Path, typer.Option("--sources-out", help="With --serve: where to write the sources "
                                                                        "file.")] = Path("demo-sources.yaml")) -> None:
    """Serve the bundled demo news site on 127.0.0.1, crawl, extract and load it, then compare the cities."""
    from flows.demo_server import DemoSite

    sources = demo_sources_file()
    if serve:
        with DemoSite(port=port) as site:
            sources_out.write_text(sources.read_text(encoding="utf-8").replace("{demo}", site.url), encoding="utf-8")
            out.print(f"demo site serving at {site.url} (Ctrl-C to stop)\nsources file: {sources_out}\n"
                      f"try: cityfacts run --sources {sources_out} --db demo.duckdb")
            try:
                import time

                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                console.print("stopped")
        return
    with DemoSite() as site:
        console.print(f"demo site serving at {site.url}")
        _run(sources, db, True, None, None, {"demo": site.url})
    compare(db=db)


def demo_sources_file() -> Path:
    return Path(str(resources.files("flows").joinpath("demo_site", "sources.yaml")))


@app.command()
def run(sources: SourcesFile, db: Db = DEFAULT_DB, since: Since = None, source: Only = None, var: Vars = None,
        distributed: Annotated[bool, typer.Option("--distributed", help="Submit one flow run per source (shard) to the "
                                                                       "Prefect work pool instead of crawling here; "
                                                                       "needs a lake --db and --redis (README: Scaling "
                                                                       "out).")] = False,
        redis_url: Annotated[str | None, typer.Option("--redis", envvar="CITYFACTS_REDIS",
                                                      help="With --distributed: the shared frontier, redis://HOST:PORT/DB."
                                                      )] = None,
        shards: Annotated[int, typer.Option("--shards", min=1, help="With --distributed: flow runs per source; they "
                                                                    "share its request queue.")] = 1,
        wait_s: Annotated[float, typer.Option("--timeout", min=1, help="With --distributed: give up waiting for the "
                                                                       "flow runs after this many seconds.")] = 6 * 3600,
        lost_after: Annotated[float, typer.Option("--lost-after", min=5, help="With --distributed: a running shard "
                                                                              "whose heartbeat is gone this long is "
                                                                              "marked crashed (worker lost).")] = 60
        ) -> None:
    """Crawl the configured sources, store new pages, extract new or changed reports, load the facts."""
    if not distributed:
        _run(sources, db, True, since, source, parse_vars(var))
        return
    from flows.distributed import submit, summary

    if not redis_url:
        raise CliError("--distributed: give the shared frontier with --redis redis://HOST:PORT/0 (or CITYFACTS_REDIS)")
    announce = (lambda m: None) if QUIET["on"] else (lambda m: console.print(m, soft_wrap=True))
    runs = submit(sources, db, redis_url, parse_vars(var), source, shards, checked_date(since, "--since"), wait_s,
                  announce=announce, lost_after_s=lost_after)
    rows = summary(db, runs)
    emit(["source", "shard", "state", "pages", "new", "articles", "facts", "failed"], rows, "table", title="distributed run")
    unfinished = [f"{r.source}/{r.shard} ({r.state.lower()})" for r in runs if r.state != "COMPLETED"]
    if unfinished:
        raise CliError(f"{len(unfinished)} flow runs did not complete: {', '.join(unfinished)}; run again to pick up "
                       f"what they left")


@app.command()
def crawl(sources: SourcesFile, db: Db = DEFAULT_DB, since: Since = None, source: Only = None, var: Vars = None) -> None:
    """Crawl the configured sources and store the raw pages, without extracting (see `reextract`)."""
    _run(sources, db, False, since, source, parse_vars(var))


@app.command()
def reextract(db: Db = DEFAULT_DB,
              sources: Annotated[Path | None, typer.Option(
                  "--sources", help="Sources file, for per-source selectors, keywords and language.")] = None,
              everything: Annotated[bool, typer.Option("--all", help="Re-extract every stored page, not only stale ones.")] = False,
              since: Since = None) -> None:
    """Rebuild articles and facts from the stored raw pages, without fetching (after an extractor update)."""
    from crawlers.sources import load_sources
    from flows.work import extract_stored

    srcs = load_sources(sources) if sources else None
    counts = run_with_progress("re-extracting", extract_stored, db, srcs, everything, checked_date(since, "--since"))
    if not QUIET["on"]:
        console.print(f"re-extracted {counts['articles']} articles, {counts['facts']} facts "
                      f"({counts['irrelevant']} pages failed their keyword filter)")


@app.command()
def schedule(cron: Annotated[str, typer.Option("--cron", help='Cron expression, e.g. "0 6 * * *" (06:00 daily, in --timezone).')],
             timezone: Annotated[str, typer.Option("--timezone", help="IANA time zone the cron runs in, e.g. "
                                                                     "Asia/Shanghai (as in prefect.yaml).")] = "UTC",
             sources: Annotated[Path | None, typer.Option("--sources", help="Sources file (default: the bundled real sources).")] = None,
             db: Db = DEFAULT_DB,
             name: Annotated[str, typer.Option("--name", help="Deployment name.")] = "cityfacts-scheduled",
             since: Since = None) -> None:
    """Run the crawl on a cron schedule: serves a deployment against PREFECT_API_URL, or a Prefect server it starts.

    Prefect's temporary API never fires cron schedules, so this command keeps a real server: the one
    PREFECT_API_URL names, else a local `prefect server start` it manages and stops on exit.
    To use a work pool instead, see prefect.yaml (`prefect deploy`).
    """
    from crawlers.sources import load_sources
    from flows.schedule import serve

    path = sources or bundled_sources()
    load_sources(path)
    serve(cron, path, Path(db), name, checked_date(since, "--since"), announce=lambda m: console.print(m, soft_wrap=True),
          timezone=timezone)


@sources_app.command("check")
def sources_check(path: Annotated[Path, typer.Argument(help="Sources YAML file to validate.")], var: Vars = None) -> None:
    """Validate a sources file; each mistake is one line naming the file, line and field."""
    from crawlers.sources import load_sources_file

    cfg = load_sources_file(path, parse_vars(var))
    out.print(f"{path}: {len(cfg.sources)} sources OK"
              + ("" if cfg.contact else " (no `contact:` set: the User-Agent will not say how to reach you)"))


@sources_app.command("list")
def sources_list(sources: Annotated[Path | None, typer.Option("--sources", help="Sources file (default: the bundled real sources).")] = None,
                 db: Db = DEFAULT_DB) -> None:
    """The configured sources, with what the database knows of their last crawl."""
    from crawlers.sources import load_sources_file
    from pipeline.queries import source_stats
    from pipeline.readonly import sandboxed

    path = sources or bundled_sources()
    cfg = load_sources_file(path)
    stats: dict[str, tuple[int, Any]] = {}
    if store_db_exists(db):
        with sandboxed(db) as con:
            stats = source_stats(con)
    rows: list[tuple[Any, ...]] = [
        (s.name, s.lang, ", ".join(s.allowed_domains), len(s.start_urls) + len(s.feeds) + len(s.sitemaps),
         "untested" if s.untested else "tested", *stats.get(s.name, (0, None))) for s in cfg.sources]
    named = {s.name for s in cfg.sources}
    rows += [(name, "", "", 0, "in the database only", *stat) for name, stat in sorted(stats.items()) if name not in named]
    emit(["source", "lang", "domains", "entry points", "status", "pages stored", "last fetched"], rows, "table",
         title=str(path))


@app.command()
def extract(paths: Annotated[list[str], typer.Argument(help="Plain-text files, or - for standard input.")],
            as_json: AsJson = False, fmt: RecordFormat = Format.table, no_headers: NoHeaders = False,
            lang: Annotated[str | None, typer.Option("--lang", help="Force en or zh instead of detecting.")] = None,
            published: Annotated[str | None, typer.Option(
                "--published", help="The reports' publication date (YYYY-MM-DD): dates 'last year' and tells "
                                    "a target whose year has passed.")] = None) -> None:
    """Extract figures (with what kind of figure each is), cities and organisations from plain-text reports."""
    from flows.inputs import read_text
    from nlp.extract import Extractor

    if lang not in (None, "en", "zh"):
        raise CliError(f"--lang: expected en or zh, got {lang!r}")
    texts: list[tuple[str, str]] = []
    errors = 0
    for p in paths:
        try:
            texts.append((p, read_text(p, warn=warning_line)))
        except (OSError, ValueError) as exc:
            errors += 1
            error_line(f"{p}: {getattr(exc, 'strerror', None) or exc}")
    published = checked_date(published, "--published")
    fmt = Format.jsonl if as_json else fmt
    results = Extractor().extract_many([t for _, t in texts], [lang] * len(texts), published=[published] * len(texts))
    records: list[dict[str, Any]] = []
    for (p, _), ex in zip(texts, results, strict=True):
        if isinstance(ex, Exception):
            errors += 1
            error_line(f"{p}: {ex}")
        elif fmt == Format.jsonl:
            write_json_lines([{"path": p, **ex.to_json()}])  # as each is done: the contract other tools stream
        elif fmt != Format.table:
            records.append({"path": p, **ex.to_json()})
        else:
            out.print(Text.assemble((p, "bold"), f": {ex.lang}, main city {ex.main_city}, cities "
                                    f"{', '.join(ex.cities) or '-'}"))
            emit(["text", "value", "unit", "approx", "counted", "metric", "city", "status", "aspect", "level", "year", "scope"],
                 [(f.text, f.value, f.unit, f.approx, f.counted, f.metric, f.city, f.status, f.aspect, f.level, f.year,
                   f.scope if f.scope == "city" else f"part: {f.part or '?'}") for f in ex.facts], "table")
    if fmt == Format.json:
        write_json_lines(records, "json")
    elif fmt in (Format.csv, Format.tsv):
        facts = [{"path": r["path"], **f} for r in records for f in r["facts"]]
        columns = list(facts[0]) if facts else ["path"]
        emit(columns, [tuple(f.get(c) for c in columns) for f in facts], fmt.value, headers=not no_headers)
    if errors:
        raise typer.Exit(1)


@app.command()
def parse(paths: Annotated[list[str], typer.Argument(help="Saved HTML pages (raw bytes), or - for standard input.")],
          url: Annotated[str | None, typer.Option("--url", help="The page's URL (only with one page).")] = None,
          as_json: AsJson = False, fmt: RecordFormat = Format.table, no_headers: NoHeaders = False) -> None:
    """Main text, title and date of saved HTML pages, read exactly as the crawler reads them."""
    from crawlers.parse import parse_page
    from flows.inputs import read_bytes
    from nlp.segments import detect_lang

    if url and len(paths) > 1:
        raise CliError("--url applies to one page; got several")
    errors = 0
    records: list[dict[str, Any]] = []
    for p in paths:
        try:
            body = read_bytes(p)
        except (OSError, ValueError) as exc:
            errors += 1
            error_line(f"{p}: {getattr(exc, 'strerror', None) or exc}")
            continue
        if not looks_like_html(body):
            errors += 1
            error_line(f"{p}: not an HTML page (no HTML tags); for plain text use `cityfacts extract`")
            continue
        page = parse_page(body, url)
        rec = {"path": p, "url": url, "title": page.title, "published": page.published,
               "lang": detect_lang(page.text), "text": page.text, "text_from": page.text_from,
               "date_from": page.date_from}
        if as_json or fmt == Format.jsonl:
            write_json_lines([rec])
        elif fmt != Format.table:
            records.append(rec)
        else:
            out.print(Text.assemble((page.title or p, "bold"), f" ({page.published or 'no date'}, {rec['lang']})\n"
                                    f"{page.text}\n"))
    if records and fmt == Format.json:
        write_json_lines(records, "json")
    elif fmt == Format.json:
        write_json_lines([], "json")
    elif records:
        emit(list(records[0]), [tuple(r.values()) for r in records], fmt.value, headers=not no_headers)
    if errors:
        raise typer.Exit(1)


HTML_TAG = re.compile(rb"<\s*(?:!doctype|html|head|body|meta|title|div|p|span|a|h[1-6]|table|article|section|br)\b", re.I)


def looks_like_html(body: bytes) -> bool:
    """Some HTML tag near the start (in any ASCII-compatible encoding; UTF-16 pages decoded first)."""
    head = body[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    return bool(HTML_TAG.search(head))


@app.command()
def sql(query: Annotated[str | None, typer.Argument(help="SQL: SELECT, EXPLAIN or PRAGMA statements (several run in "
                                                         "order), or - to read them from standard input.")] = None,
        file: Annotated[Path | None, typer.Option("--file", help="Read the SQL from this file.")] = None,
        db: Db = DEFAULT_DB, fmt: OutFormat = Format.table, no_headers: NoHeaders = False,
        limit: Annotated[int, typer.Option("--limit", min=1, help="Table format: show at most this many rows.")] = 100,
        timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Stop a statement still running after this "
                                                                        "many seconds.")] = 60.0,
        memory_limit: Annotated[str, typer.Option("--memory-limit", help="DuckDB memory limit for the query, "
                                                                         "e.g. 2GB.")] = "4GB") -> None:
    """Run read-only SQL over the facts (see `cityfacts schema` for the tables and views).

    Several statements run in order and each result is shown; if any statement is not read-only, none runs.
    """
    from pipeline.queries import run_query, split_statements
    from pipeline.readonly import check_query, sandboxed

    if (query is None) == (file is None):
        raise CliError("give the SQL as an argument, as - (standard input) or with --file, once")
    if file is not None:
        from flows.inputs import read_text

        text = read_text(str(file))
    elif query == "-":
        text = sys.stdin.read()
    else:
        text = str(query)
    check_query(text)  # all statements are checked before any runs
    statements = split_statements(text)
    with sandboxed(db, memory_limit=memory_limit) as con:
        for i, statement in enumerate(statements, 1):
            columns, rows = run_query(con, statement, timeout)
            title = f"statement {i} of {len(statements)}" if len(statements) > 1 and fmt == Format.table else None
            emit(columns, rows, fmt.value, title=title, headers=not no_headers,
                 limit=limit if fmt == Format.table else None)


def rule_files() -> Any:
    """The rule files extraction uses: the packaged ones, with $CITYFACTS_TAXONOMY's taxonomy if set."""
    import os

    from nlp.resources import load_resources

    return load_resources(taxonomy=os.environ.get("CITYFACTS_TAXONOMY") or None)


def metric_labels() -> dict[str, str]:
    return dict(rule_files().taxonomy.labels())


def canonical_city(name: str) -> str:
    return str(rule_files().gazetteer.canonical_city(name))


@app.command()
def compare(db: Db = DEFAULT_DB,
            metric: Annotated[list[str] | None, typer.Option("--metric", help="Metric key (repeatable); default: the most reported.")] = None,
            cities: Annotated[str | None, typer.Option("--cities", help="Comma-separated city names (English or Chinese).")] = None,
            as_of: Annotated[str | None, typer.Option("--as-of", help="Latest values reported on or before this day (YYYY-MM-DD).")] = None,
            fmt: Annotated[Format, typer.Option("--format", help="table, csv, tsv (one row per city and metric), json "
                                                               "(one array) or jsonl (a city per line, with evidence).")] = Format.table,
            no_headers: NoHeaders = False,
            top: Annotated[int, typer.Option("--top", min=1, help="How many metrics when none is given.")] = 5,
            status: Annotated[Status, typer.Option("--status", help="actual figures, or targets (plans, goals).")] = Status.actual,
            aspect: Annotated[Aspect, typer.Option("--aspect", help="total (a stock), added (new in a period), "
                                                                      "or per_year (a yearly rate or flow).")] = Aspect.total,
            level: Annotated[Level | None, typer.Option("--level", help="Only figures of this recognition level "
                                                                         "(default: totals of all levels).")] = None,
            scope: Annotated[Scope, typer.Option("--scope", help="city: for the whole city; part: for a district, "
                                                                    "a school, a project.")] = Scope.city,
            year: Annotated[int | None, typer.Option("--year", help="Only figures that refer to this year.")] = None) -> None:
    """Cities side by side, like with like: the latest value of each metric, its date, its sources.

    By default every cell is an actual, city-wide total of all levels; a target, an addition, a yearly figure,
    one level's subset or a district's count is never put in its place (the cell stays empty). The options
    choose another slice; every format says which slice it shows.
    """
    from pipeline.compare import Slice, compare_grid, compare_long
    from pipeline.compare import compare as compare_rows
    from pipeline.readonly import sandboxed

    labels = metric_labels()
    metric = list(dict.fromkeys(metric)) if metric else None  # a repeated --metric is one column
    unknown = [m for m in metric or [] if m not in labels]
    if unknown:
        raise CliError(f"--metric: unknown metric {', '.join(unknown)} (known: {', '.join(labels)})")
    city_list = known_cities(cities) if cities else None
    as_of = checked_date(as_of, "--as-of")
    slc = Slice(str(status), str(aspect), str(level) if level else None, str(scope), year)
    with sandboxed(db) as con:
        metrics, rows = compare_rows(con, metric or None, city_list, top, as_of, slc)
        if not rows:
            raise CliError(nothing_to_compare(con, city_list, as_of))
    missing = [c for c in city_list or [] if c not in {r["city"] for r in rows}]
    if missing:
        error_line(f"no {slc.describe()} figures for {', '.join(missing)}" + (f" as of {as_of}" if as_of else ""))
    if fmt in (Format.json, Format.jsonl):
        write_json_lines([{**r, "slice": slc.as_dict()} for r in rows], fmt.value)
        return
    if fmt in (Format.csv, Format.tsv):
        emit(*compare_long(metrics, rows, slc), fmt.value, headers=not no_headers)
        return
    columns, grid = compare_grid(metrics, rows, labels, readable=True)
    title = (f"Cities compared: latest value per metric (date reported, sources) — {slc.describe()}"
             + (f", as of {as_of}" if as_of else ""))
    emit(columns, grid, fmt.value, title=title, headers=not no_headers)


def known_cities(cities: str) -> list[str]:
    """--cities as the names facts store; a name the gazetteer does not know is an error, not an empty column."""
    gaz = rule_files().gazetteer
    names = [c.strip() for c in cities.split(",") if c.strip()]
    unknown = [c for c in names if gaz.lookup(c.removesuffix(" City").removesuffix(" Province")) is None]
    if unknown:
        raise CliError(f"--cities: unknown place {', '.join(repr(c) for c in unknown)} (English or Chinese names, "
                       "e.g. Jinan or 济南)")
    return list(dict.fromkeys(gaz.canonical_city(c) for c in names))


def nothing_to_compare(con: Any, cities: list[str] | None, as_of: str | None) -> str:
    """Why a comparison came out empty, in one line."""
    facts, first = con.execute("SELECT count(*), min(published) FROM facts").fetchone()
    if not facts:
        return "the database holds no facts yet (run `cityfacts run` or `cityfacts crawl` first)"
    if as_of and first and str(first) > as_of:
        return f"--as-of {as_of} is before the first report in the database ({first})"
    where = f" for {', '.join(cities)}" if cities else ""
    return f"no figures{where} in this slice (try another --status/--aspect/--scope, or `cityfacts city NAME`)"


@app.command()
def city(name: Annotated[str, typer.Argument(help="City name, English or Chinese (Jinan, 济南, 济南市).")], db: Db = DEFAULT_DB,
         fmt: OutFormat = Format.table, no_headers: NoHeaders = False) -> None:
    """One city's profile over time: every figure reported about it, by metric and date."""
    from pipeline.compare import city_profile, profile_grid
    from pipeline.readonly import sandboxed

    resolved = canonical_city(name)
    with sandboxed(db) as con:
        rows = city_profile(con, resolved)
    if not rows:
        raise CliError(f"no facts about {resolved!r} in {db}")
    if fmt in (Format.json, Format.jsonl):
        write_json_lines([{"city": resolved, **r} for r in rows], fmt.value)
    elif fmt in (Format.csv, Format.tsv):
        emit(list(rows[0]), [tuple(r.values()) for r in rows], fmt.value, headers=not no_headers)
    else:
        emit(*profile_grid(rows, metric_labels()), "table", title=f"{resolved}: {len(rows)} facts", headers=not no_headers)


@app.command()
def export(out_dir: Annotated[Path, typer.Option("--out", help="Directory to write one file per table into.")],
           fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
           db: Db = DEFAULT_DB) -> None:
    """Export every table and view (facts, latest_facts, articles, ...) as Parquet or CSV files."""
    from pipeline.export import export as write_files
    from pipeline.readonly import sandboxed

    if fmt not in ("parquet", "csv"):
        raise CliError(f"--format: expected parquet or csv, got {fmt!r}")
    with sandboxed(db) as con:  # the analyst's sandbox: a view over read_text() cannot leak a file
        try:
            counts = write_files(con, out_dir, fmt)
        except OSError as exc:
            raise CliError(f"{out_dir}: cannot write: {exc.strerror or exc}") from None
    console.print(f"wrote {len(counts)} files to {out_dir}: " + ", ".join(f"{t} ({n})" for t, n in counts.items()),
                  soft_wrap=True)


@app.command()
def report(out_file: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path("report.html"),
           db: Db = DEFAULT_DB) -> None:
    """One self-contained HTML report: bar charts per metric, trends, and the evidence for every number."""
    from pipeline.readonly import sandboxed
    from pipeline.report import build

    with sandboxed(db) as con:
        page = build(con, metric_labels())
    try:
        out_file.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{out_file}: cannot write: {exc.strerror or exc}") from None
    console.print(f"wrote {out_file} ({len(page) // 1024} KiB); open it in any browser, no network needed")


LakeUrl = Annotated[str, typer.Option("--db", envvar="CITYFACTS_DB", callback=_given_db,
                                       help="The lake: 'ducklake:postgres:dbname=NAME host=HOST user=USER'.")]


def _lake_url(db: str) -> str:
    from pipeline.lake import is_lake

    if not is_lake(db):
        raise CliError(f"--db: expected a DuckLake URL (ducklake:postgres:...), got {db!r}")
    return db


@lake_app.command("init")
def lake_init(db: LakeUrl,
              data: Annotated[str, typer.Option("--data", help="Directory (shared by every machine that loads, e.g. an "
                                                               "NFS mount) or object-store prefix for the Parquet files.")]
              ) -> None:
    """Create the lake's tables and views in an empty PostgreSQL database; safe to run again."""
    from pipeline.db import DatabaseError
    from pipeline.lake import LakeError, data_path, open_lake
    from pipeline.migrations import migrate

    url = _lake_url(db)
    if "://" not in data:
        Path(data).mkdir(parents=True, exist_ok=True)
        data = str(Path(data).resolve()) + "/"
    try:
        con = open_lake(url, data_path=data)
    except LakeError as exc:
        raise DatabaseError(str(exc)) from None
    try:
        migrate(con, in_lake=True)
        console.print(f"lake ready: catalog {url[len('ducklake:'):]}, data in {data_path(con)}", soft_wrap=True)
    finally:
        con.close()


@lake_app.command("compact")
def lake_compact(db: LakeUrl) -> None:
    """Merge the small Parquet files loads leave behind and delete files no snapshot needs any more."""
    from pipeline import lake
    from pipeline.db import writer

    with writer(_lake_url(db)) as con:
        counts = lake.compact(con)
    console.print(f"compacted: {counts['files_before']} data files before, {counts['files_after']} after")


@app.command("schema")
def schema_cmd(db: Annotated[str | None, typer.Option("--db", callback=_given_db, help="Describe this database (default: a "
                                                                                     "fresh, empty one).")] = None) -> None:
    """The tables and views, with what every column means (Markdown)."""
    from pipeline.docs import schema_markdown

    sys.stdout.write(schema_markdown(db))


@app.command("eval")
def eval_(folder: Annotated[Path, typer.Argument(help="Folder of NAME.txt + NAME.gold.json pairs.")],
          lang: Annotated[str | None, typer.Option("--lang", help="Score only en or zh documents.")] = None,
          details: Annotated[bool, typer.Option("--details", help="List misses, extras and wrong cities per document.")] = False,
          as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False) -> None:
    """Score extraction against labelled reports (precision, recall, F1, city and main-city accuracy)."""
    from nlp.evaluation import score_dir, summary

    scores = score_dir(folder, lang=lang)
    total = summary(scores)
    if as_json:
        write_json_lines([{"summary": total, "documents": [s.__dict__ for s in scores]}])
        return
    emit(["doc", "lang", "gold", "pred", "matched", "city ok", "main city", "gold main"],
         [(s.name, s.lang, s.gold, s.predicted, s.matched, s.city_ok, s.main_city, s.main_city_gold) for s in scores],
         "table")
    if details:
        for s in scores:
            for kind, items in (("missed", s.misses), ("extra", s.extras), ("wrong city", s.wrong_city)):
                for item in items:
                    out.print(f"{s.name} {kind}: {item}", highlight=False)
    emit(list(total), [tuple(total.values())], "table")


def main() -> None:  # pragma: no cover
    app()
