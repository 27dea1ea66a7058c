"""The `cityfacts` command line.

Commands that orchestrate a crawl (`demo`, `run`, `crawl`) go through a
Prefect flow; commands that only read or compute (`extract`, `parse`, `sql`,
`compare`) call the library directly and never import Prefect, which would
cost seconds of start-up for nothing.
"""
from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

from crawlers.sources import SourcesError
from pipeline.store import DEFAULT_DB, DatabaseError

app = typer.Typer(help="Track what Chinese cities report about production-education integration (产教融合).",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
console = Console(stderr=True)
out = Console()

DbOption = typer.Option(DEFAULT_DB, "--db", help="DuckDB file to use.", show_default=True)


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


def fail(message: str, code: int = 1) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _guarded(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run fn, turning the errors a user can act on into one line and a non-zero exit."""
    from flows.work import RunError

    try:
        return fn(*args, **kwargs)
    except (SourcesError, DatabaseError, RunError) as exc:
        fail(str(exc))


def _progress_bar(label: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def _check_date(value: Optional[str], option: str) -> Optional[str]:
    if value is None:
        return None
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        fail(f"{option}: expected a date as YYYY-MM-DD, got {value!r}")
    return None


def _run_flow(sources: Path, db: str, variables: dict[str, str] | None = None, extract_articles: bool = True,
              since: Optional[str] = None, only: Optional[list[str]] = None) -> dict[str, Any]:
    from crawlers.sources import load_sources

    names = [s.name for s in load_sources(sources, variables)]  # validate before paying for Prefect's start-up
    unknown = sorted(set(only or []) - set(names))
    if unknown:
        fail(f"{sources}: no source named {', '.join(unknown)} (have: {', '.join(names)})")
    from flows.work import run_lock

    with run_lock(db):  # refuse a second run here, before Prefect starts
        from flows.flows import run_flow

        return _run_flow_locked(run_flow, sources, db, variables, extract_articles, since, only)


def _run_flow_locked(run_flow: Any, sources: Path, db: str, variables: dict[str, str] | None, extract_articles: bool,
                     since: Optional[str], only: Optional[list[str]]) -> dict[str, Any]:
    with _progress_bar("extracting") as progress:
        bar = progress.add_task("extract", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        return run_flow(str(sources), db, variables, progress=advance, extract_articles=extract_articles,
                        since=since, only=only or None)


def _print_run(result: dict[str, Any]) -> None:
    console.print(f"run {result['run_id']}: {result['requests']} requests, {result['new']} new / "
                  f"{result['changed']} changed / {result['unchanged']} unchanged pages, "
                  f"{result['articles']} articles, {result['facts']} facts, {result['failed']} failed URLs", soft_wrap=True)


SourcesOption = typer.Option(..., "--sources", help="YAML sources file (see README).")
SinceOption = typer.Option(None, "--since", help="Skip reports published before this day (YYYY-MM-DD).")
OnlyOption = typer.Option([], "--source", help="Only this source (repeatable); default: all in the file.")


@app.command()
def demo(db: str = DbOption) -> None:
    """Serve the bundled demo news site on 127.0.0.1, crawl, extract and load it, then compare the cities."""
    from importlib import resources

    from flows.demo_server import DemoSite

    sources = Path(str(resources.files("flows").joinpath("demo_site", "sources.yaml")))
    with DemoSite() as site:
        console.print(f"demo site serving at {site.url}")
        result = _guarded(_run_flow, sources, db, {"demo": site.url})
    _print_run(result)
    _compare(db, [], None, Format.table, 5)


@app.command()
def run(sources: Path = SourcesOption, db: str = DbOption, since: Optional[str] = SinceOption,
        source: list[str] = OnlyOption) -> None:
    """Crawl the configured sources, store new pages, extract new or changed reports, load the facts."""
    _print_run(_guarded(_run_flow, sources, db, None, True, _check_date(since, "--since"), source))


@app.command()
def crawl(sources: Path = SourcesOption, db: str = DbOption, since: Optional[str] = SinceOption,
          source: list[str] = OnlyOption) -> None:
    """Crawl the configured sources and store the raw pages, without extracting (see `reextract`)."""
    _print_run(_guarded(_run_flow, sources, db, None, False, _check_date(since, "--since"), source))


@app.command()
def reextract(db: str = DbOption,
              sources: Optional[Path] = typer.Option(None, "--sources", help="Sources file, for per-source selectors, keywords and language."),
              everything: bool = typer.Option(False, "--all", help="Re-extract every stored page, not only stale ones."),
              since: Optional[str] = SinceOption) -> None:
    """Rebuild articles and facts from the stored raw pages, without fetching (after an extractor update)."""
    from crawlers.sources import load_sources
    from flows.work import extract_stored

    srcs = _guarded(load_sources, sources) if sources else None
    with _progress_bar("re-extracting") as progress:
        bar = progress.add_task("reextract", total=None)
        counts = _guarded(extract_stored, db, srcs, everything, _check_date(since, "--since"),
                          lambda d, t: progress.update(bar, completed=d, total=t))
    console.print(f"re-extracted {counts['articles']} articles, {counts['facts']} facts "
                  f"({counts['irrelevant']} pages failed their keyword filter)")


@app.command()
def schedule(cron: str = typer.Option(..., "--cron", help='Cron expression, e.g. "0 6 * * *" (06:00 daily, server time zone).'),
             sources: Optional[Path] = typer.Option(None, "--sources", help="Sources file (default: the bundled real sources)."),
             db: str = DbOption,
             name: str = typer.Option("cityfacts-scheduled", "--name", help="Deployment name."),
             since: Optional[str] = SinceOption) -> None:
    """Run the crawl on a cron schedule: serves a deployment against PREFECT_API_URL, or a Prefect server it starts.

    Prefect's temporary API never fires cron schedules, so this command keeps a real server: the one
    PREFECT_API_URL names, else a local `prefect server start` it manages and stops on exit.
    To use a work pool instead, see prefect.yaml (`prefect deploy`).
    """
    from importlib import resources

    from crawlers.sources import load_sources
    from flows.schedule import ScheduleError, serve

    path = sources or Path(str(resources.files("crawlers").joinpath("data", "sources_cn.yaml")))
    _guarded(load_sources, path)
    try:
        serve(cron, path, Path(db), name, _check_date(since, "--since"), announce=lambda m: console.print(m, soft_wrap=True))
    except ScheduleError as exc:
        fail(str(exc))


sources_app = typer.Typer(help="Inspect and check sources files.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")


@sources_app.command("check")
def sources_check(path: Path = typer.Argument(..., help="Sources YAML file to validate.")) -> None:
    """Validate a sources file; a mistake is one line naming the file, line and field."""
    from crawlers.sources import load_sources_file

    cfg = _guarded(load_sources_file, path)
    out.print(f"{path}: {len(cfg.sources)} sources OK"
              + ("" if cfg.contact else " (no `contact:` set: the User-Agent will not say how to reach you)"))


@sources_app.command("list")
def sources_list(sources: Optional[Path] = typer.Option(None, "--sources", help="Sources file (default: the bundled real sources)."),
                 db: str = DbOption) -> None:
    """The configured sources, with what the database knows of their last crawl."""
    from importlib import resources

    from crawlers.sources import load_sources_file
    from flows.output import emit

    path = sources or Path(str(resources.files("crawlers").joinpath("data", "sources_cn.yaml")))
    cfg = _guarded(load_sources_file, path)
    stats: dict[str, tuple[Any, ...]] = {}
    if Path(db).exists():
        con = _open_read_only(db)
        try:
            for name, pages, last in con.execute(
                    "SELECT source, count(*), max(fetched_at) FROM pages GROUP BY source").fetchall():
                stats[name] = (pages, last)
        finally:
            con.close()
    rows = [(s.name, s.lang, ", ".join(s.allowed_domains), len(s.start_urls) + len(s.feeds) + len(s.sitemaps),
             "untested" if s.untested else "tested", *stats.get(s.name, (0, None))) for s in cfg.sources]
    emit(["source", "lang", "domains", "entry points", "status", "pages stored", "last fetched"], rows, "table",
         title=str(path), console=out)


def _read_input(path: str) -> str:
    if path == "-":
        data = sys.stdin.buffer.read()
    else:
        data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data).best()
        if best is None:
            raise ValueError("not text (binary or unknown encoding)") from None
        return str(best)


@app.command()
def extract(paths: list[str] = typer.Argument(..., help="Plain-text files, or - for standard input."),
            as_json: bool = typer.Option(False, "--json", help="One JSON object per input, one per line."),
            lang: Optional[str] = typer.Option(None, "--lang", help="Force en or zh instead of detecting.")) -> None:
    """Extract figures, cities and organisations from plain-text reports."""
    from nlp.extract import Extractor

    if lang not in (None, "en", "zh"):
        fail(f"--lang: expected en or zh, got {lang!r}")
    texts: list[tuple[str, str]] = []
    errors = 0
    for p in paths:
        try:
            texts.append((p, _read_input(p)))
        except (OSError, ValueError) as exc:
            errors += 1
            console.print(f"[bold red]error:[/] {p}: {getattr(exc, 'strerror', None) or exc}", highlight=False)
    extractor = Extractor()
    results = extractor.extract_many([t for _, t in texts], [lang] * len(texts))
    for (p, _), ex in zip(texts, results):
        if isinstance(ex, Exception):
            errors += 1
            console.print(f"[bold red]error:[/] {p}: {ex}", highlight=False, soft_wrap=True)
            continue
        if as_json:
            sys.stdout.write(json.dumps({"path": p, **ex.to_json()}, ensure_ascii=False) + "\n")
        else:
            from flows.output import emit

            out.print(f"[bold]{p}[/]: {ex.lang}, main city {ex.main_city}, cities {', '.join(ex.cities) or '-'}")
            emit(["text", "value", "unit", "approx", "counted", "metric", "city"],
                 [(f.text, f.value, f.unit, f.approx, f.counted, f.metric, f.city) for f in ex.facts], "table", console=out)
    if errors:
        raise typer.Exit(1)


@app.command()
def parse(paths: list[str] = typer.Argument(..., help="Saved HTML pages (raw bytes)."),
          url: Optional[str] = typer.Option(None, "--url", help="The page's URL (only with one page)."),
          as_json: bool = typer.Option(False, "--json", help="One JSON object per page, one per line.")) -> None:
    """Main text, title and date of saved HTML pages, read exactly as the crawler reads them."""
    from crawlers.parse import parse_page

    if url and len(paths) > 1:
        fail("--url applies to one page; got several")
    errors = 0
    for p in paths:
        try:
            body = sys.stdin.buffer.read() if p == "-" else Path(p).read_bytes()
        except OSError as exc:
            errors += 1
            console.print(f"[bold red]error:[/] {p}: {exc.strerror or exc}", highlight=False)
            continue
        page = parse_page(body, url)
        rec = {"path": p, "url": url, "title": page.title, "published": page.published,
               "lang": _lang_of(page.text), "text": page.text}
        if as_json:
            sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
        else:
            out.print(f"[bold]{page.title or p}[/] ({page.published or 'no date'}, {rec['lang']})\n{page.text}\n")
    if errors:
        raise typer.Exit(1)


def _lang_of(text: str) -> str:
    from nlp.segments import detect_lang

    return detect_lang(text)


def _open_read_only(db: str) -> Any:
    from pipeline.readonly import open_read_only

    return _guarded(open_read_only, db, 5.0)


@app.command()
def sql(query: str = typer.Argument(..., help="A SELECT statement."), db: str = DbOption,
        fmt: Format = typer.Option(Format.table, "--format", help="Output format.")) -> None:
    """Run a read-only SQL query over the facts (see `cityfacts schema` for the tables and views)."""
    import duckdb

    from flows.output import emit
    from pipeline.readonly import QueryRefused, check_query

    try:
        check_query(query)
    except QueryRefused as exc:
        fail(str(exc))
    con = _open_read_only(db)
    try:
        cur = con.execute(query)
        columns = [d[0] for d in cur.description] if cur.description else []
        rows = cur.fetchall() if columns else []
    except duckdb.Error as exc:
        msg = str(exc).splitlines()[0]
        if "read-only" in msg or "read only" in msg or "external access" in msg or "lock_configuration" in msg:
            fail(f"refused: the database is opened read-only for queries ({msg})")
        fail(f"query failed: {msg}")
    finally:
        con.close()
    emit(columns, rows, fmt.value, console=out)


def _metric_labels() -> dict[str, str]:
    from nlp.metrics import taxonomy

    return {k: v.get("label", k) for k, v in taxonomy().items()}


def _city_name(name: str) -> str:
    """'济南市', 'jinan' or 'Jinan City' -> 'Jinan', as facts store it."""
    from nlp.places import gazetteer

    g = gazetteer()
    place = g.lookup(name.strip().removesuffix(" City").removesuffix(" Province"))
    return g.city_of(place).name_en if place is not None and place.level != "province" else (place.name_en if place else name.strip())


def _compare(db: str, metrics: list[str], cities: Optional[str], fmt: Format, top: int, as_of: Optional[str] = None) -> None:
    from flows.output import emit
    from pipeline.compare import compare as compare_rows
    from pipeline.formatting import figure

    labels = _metric_labels()
    unknown = [m for m in metrics if m not in labels]
    if unknown:
        fail(f"--metric: unknown metric {', '.join(unknown)} (known: {', '.join(labels)})")
    city_list = [_city_name(c) for c in cities.split(",") if c.strip()] if cities else None
    as_of = _check_date(as_of, "--as-of")
    con = _open_read_only(db)
    try:
        mets, rows = compare_rows(con, metrics or None, city_list, top, as_of)
    finally:
        con.close()
    if fmt == Format.json:
        for r in rows:
            sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")
        return
    flat = []
    for r in rows:
        cells: list[Any] = [r["city"]]
        for m in mets:
            cell = r.get(m)
            if cell is None:
                cells.append("" if fmt == Format.table else None)
            elif fmt == Format.table:
                cells.append(f"{figure(cell['value'], cell['unit'], cell['approx'], cell['value_max'])} ({cell['published'] or '?'})")
            else:
                cells.append(cell["value"])
        flat.append(tuple(cells))
    cols = ["city"] + ([labels.get(m, m) for m in mets] if fmt == Format.table else mets)
    title = "Cities compared: latest value per metric (date reported)" + (f", as of {as_of}" if as_of else "")
    emit(cols, flat, fmt.value, title=title, console=out)


@app.command()
def compare(db: str = DbOption,
            metric: list[str] = typer.Option([], "--metric", help="Metric key (repeatable); default: the most reported."),
            cities: Optional[str] = typer.Option(None, "--cities", help="Comma-separated city names (English or Chinese)."),
            as_of: Optional[str] = typer.Option(None, "--as-of", help="Latest values reported on or before this day (YYYY-MM-DD)."),
            fmt: Format = typer.Option(Format.table, "--format", help="table, csv, or json (one city per line, with evidence)."),
            top: int = typer.Option(5, "--top", help="How many metrics when none is given.")) -> None:
    """Cities side by side: the latest value of each metric, its date and its source."""
    _compare(db, metric, cities, fmt, top, as_of)


@app.command()
def city(name: str = typer.Argument(..., help="City name, English or Chinese (Jinan, 济南, 济南市)."), db: str = DbOption,
         fmt: Format = typer.Option(Format.table, "--format", help="Output format.")) -> None:
    """One city's profile over time: every figure reported about it, by metric and date."""
    from flows.output import emit
    from pipeline.compare import city_profile
    from pipeline.formatting import figure

    resolved = _city_name(name)
    con = _open_read_only(db)
    try:
        rows = city_profile(con, resolved)
    finally:
        con.close()
    if not rows:
        fail(f"no facts about {resolved!r} in {db}")
    if fmt == Format.json:
        for r in rows:
            sys.stdout.write(json.dumps({"city": resolved, **r}, ensure_ascii=False) + "\n")
        return
    labels = _metric_labels()
    if fmt == Format.csv:
        emit(list(rows[0]), [tuple(r.values()) for r in rows], "csv", console=out)
        return
    emit(["metric", "date", "value", "counts", "source"],
         [(labels.get(r["metric"], r["metric"] or "(other)"), r["published"], figure(r["value"], r["unit"], r["approx"], r["value_max"]),
           r["counted"], r["url"]) for r in rows], "table", title=f"{resolved}: {len(rows)} facts", console=out)


@app.command()
def export(fmt: str = typer.Option("parquet", "--format", help="parquet or csv."),
           out_dir: Path = typer.Option(..., "--out", help="Directory to write one file per table into."),
           db: str = DbOption) -> None:
    """Export every table and view (facts, latest_facts, articles, ...) as Parquet or CSV files."""
    from pipeline.export import export as do_export
    from pipeline.store import connect

    if fmt not in ("parquet", "csv"):
        fail(f"--format: expected parquet or csv, got {fmt!r}")
    con = _guarded(connect, db, True, 5.0)
    try:
        counts = do_export(con, out_dir, fmt)
    except OSError as exc:
        fail(f"{out_dir}: cannot write: {exc.strerror or exc}")
    finally:
        con.close()
    console.print(f"wrote {len(counts)} files to {out_dir}: " + ", ".join(f"{t} ({n})" for t, n in counts.items()), soft_wrap=True)


@app.command()
def report(out_file: Path = typer.Option(Path("report.html"), "--out", help="HTML file to write."), db: str = DbOption) -> None:
    """One self-contained HTML report: bar charts per metric, trends, and the evidence for every number."""
    from pipeline.report import build

    con = _open_read_only(db)
    try:
        page = build(con, _metric_labels())
    finally:
        con.close()
    try:
        out_file.write_text(page, encoding="utf-8")
    except OSError as exc:
        fail(f"{out_file}: cannot write: {exc.strerror or exc}")
    console.print(f"wrote {out_file} ({len(page) // 1024} KiB); open it in any browser, no network needed")


@app.command("schema")
def schema_cmd(db: Optional[str] = typer.Option(None, "--db", help="Describe this database (default: a fresh, empty one).")) -> None:
    """The tables and views, with what every column means (Markdown)."""
    import tempfile

    from pipeline.docs import render_markdown
    from pipeline.store import connect

    with tempfile.TemporaryDirectory() as tmp:
        con = _guarded(connect, db, True, 5.0) if db else connect(Path(tmp) / "empty.duckdb")
        try:
            tables = [r[0] for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_type, table_name").fetchall()]
            columns_of = {t: [(c, typ) for c, typ in con.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [t]).fetchall()] for t in tables}
        finally:
            con.close()
    sys.stdout.write(render_markdown(columns_of))


def main() -> None:  # pragma: no cover
    app()


@app.command("eval")
def eval_(folder: Path = typer.Argument(..., help="Folder of NAME.txt + NAME.gold.json pairs."),
          lang: Optional[str] = typer.Option(None, "--lang", help="Score only en or zh documents."),
          details: bool = typer.Option(False, "--details", help="List misses, extras and wrong cities per document."),
          as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON.")) -> None:
    """Score extraction against labelled reports (precision, recall, F1, city and main-city accuracy)."""
    from flows.output import emit
    from nlp.evaluation import EvalError, score_dir, summary

    try:
        scores = score_dir(folder, lang=lang)
    except EvalError as exc:
        fail(str(exc))
    total = summary(scores)
    if as_json:
        sys.stdout.write(json.dumps({"summary": total, "documents": [s.__dict__ for s in scores]}, ensure_ascii=False) + "\n")
        return
    emit(["doc", "lang", "gold", "pred", "matched", "city ok", "main city", "gold main"],
         [(s.name, s.lang, s.gold, s.predicted, s.matched, s.city_ok, s.main_city, s.main_city_gold) for s in scores],
         "table", console=out)
    if details:
        for s in scores:
            for kind, items in (("missed", s.misses), ("extra", s.extras), ("wrong city", s.wrong_city)):
                for item in items:
                    out.print(f"{s.name} {kind}: {item}", highlight=False)
    emit(list(total), [tuple(total.values())], "table", console=out)
