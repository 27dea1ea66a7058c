"""The one table spec: every table's columns with their DuckDB type, Arrow type and meaning.

The DDL (pipeline/migrations.py), the Arrow schemas bulk loads are built
with (pipeline/load.py) and docs/schema.md (`cityfacts schema`) are all
generated from here, so a column is declared once. The columns a fact
carries from extraction are not even listed here: they are the fields of
`nlp.records.Fact` (each with a `doc` in its metadata), so adding a field
there adds the column to the table, the loads, the docs and, through
`migrations.sync_columns`, to existing database files.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass

import pyarrow as pa

from nlp.records import Fact

# Column kinds: (DuckDB type, Arrow type). One name per kind keeps the two in step.
KINDS: dict[str, tuple[str, pa.DataType]] = {
    "text": ("VARCHAR", pa.string()),
    "text[]": ("VARCHAR[]", pa.list_(pa.string())),
    "int": ("INTEGER", pa.int32()),
    "float": ("DOUBLE", pa.float64()),
    "bool": ("BOOLEAN", pa.bool_()),
    "date": ("DATE", pa.date32()),
    "timestamp": ("TIMESTAMPTZ", pa.timestamp("us", tz="UTC")),
    "blob": ("BLOB", pa.binary()),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    doc: str

    @property
    def sql_type(self) -> str:
        return KINDS[self.kind][0]

    @property
    def arrow_type(self) -> pa.DataType:
        return KINDS[self.kind][1]


@dataclass(frozen=True)
class Table:
    name: str
    about: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([(c.name, c.arrow_type) for c in self.columns])

    def ddl(self, constraints: bool = True) -> str:
        """CREATE TABLE; without constraints for DuckLake, which has none (loads keep keys unique there)."""
        lines = [f"{quote(c.name)} {c.sql_type}" + (" PRIMARY KEY" if constraints and self.primary_key == (c.name,) else "")
                 + (" UNIQUE" if constraints and c.name in self.unique else "") for c in self.columns]
        if constraints and len(self.primary_key) > 1:
            lines.append(f"PRIMARY KEY ({', '.join(quote(k) for k in self.primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n    " + ",\n    ".join(lines) + ")"


@dataclass(frozen=True)
class View:
    name: str
    about: str
    sql: str
    column_docs: dict[str, str] = dataclasses.field(default_factory=dict)

    def ddl(self) -> str:
        return f"CREATE OR REPLACE VIEW {self.name} AS {self.sql}"


RESERVED = {"end", "start"}


def quote(name: str) -> str:
    return f'"{name}"' if name in RESERVED else name


def _kind_of(annotation: object) -> str:
    """Column kind of a record field from its type hint (`float | None` -> float)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)] if isinstance(annotation, types.UnionType) \
        else [annotation]
    by_type = {str: "text", int: "int", float: "float", bool: "bool"}
    if len(args) != 1 or args[0] not in by_type:
        raise TypeError(f"no column kind for a field of type {annotation!r}")
    return by_type[args[0]]


def record_columns(record: type) -> tuple[Column, ...]:
    """Columns for a dataclass record's fields, each documented by its `doc` metadata."""
    hints = typing.get_type_hints(record)
    cols = []
    for f in dataclasses.fields(record):
        if "doc" not in f.metadata:
            raise TypeError(f"{record.__name__}.{f.name}: every field needs metadata={{'doc': ...}} (it documents the column)")
        cols.append(Column(f.name, _kind_of(hints[f.name]), f.metadata["doc"]))
    return tuple(cols)


C = Column

SCHEMA_VERSION_TABLE = Table("schema_version", "The schema version of this database file.", (
    C("version", "int", "Schema version number."),))

SOURCES = Table("sources", "The sources configured in the sources files that runs used (last seen configuration).", (
    C("name", "text", "Source name from the sources file."),
    C("start_urls", "text[]", "Start URLs (list pages)."),
    C("article_pattern", "text", "Regular expression on absolute URLs that marks report pages."),
    C("follow_pattern", "text", "Regular expression on absolute URLs of list pages to follow."),
    C("lang", "text", "en, zh or auto."),
    C("updated_at", "timestamp", "When a run last saved this configuration."),
), primary_key=("name",))

CRAWL_RUNS = Table("crawl_runs", "One row per crawl of one source (a `run` of several sources writes one row each).", (
    C("run_id", "text", "Identifier of the run."),
    C("started_at", "timestamp", "When the crawl started (UTC)."),
    C("finished_at", "timestamp", "When its pages were stored (UTC)."),
    C("sources", "text[]", "Source names crawled."),
    C("requests", "int", "HTTP requests made (list pages, feeds, sitemaps, robots.txt, articles, retries)."),
    C("fetched", "int", "Report pages fetched (not seen before)."),
    C("new_pages", "int", "Fetched pages that were not stored before."),
    C("changed_pages", "int", "Fetched pages whose bytes differ from the stored copy."),
    C("unchanged_pages", "int", "Fetched pages identical to the stored copy."),
    C("failed", "int", "URLs that failed (see crawl_failures)."),
    C("duration_s", "float", "Seconds from start until the pages were stored."),
    C("status", "text", "completed; incomplete when the crawl process did not finish; timeout when it was stopped "
                        "for running too long; interrupted when stopped by Ctrl-C (in both, the pages it had "
                        "fetched are kept, and extraction waits for the next run after an interrupt)."),
    C("articles", "int", "Articles extracted from this run's pages."),
    C("facts", "int", "Facts extracted from this run's pages."),
    C("crawl_log", "text", "What the crawl process wrote to stderr (its last 20,000 characters): warnings, "
                           "and the reason when it failed or timed out."),
    C("limits_hit", "text", "Crawl bounds this crawl reached (max_pages, max_list_pages, max_depth), comma-separated; "
                            "what they left out is fetched by later runs. NULL when none was reached."),
), primary_key=("run_id",))

CRAWL_FAILURES = Table("crawl_failures", "Every URL a run could not fetch, with the reason.", (
    C("run_id", "text", "The run (crawl_runs.run_id)."),
    C("url", "text", "The URL requested."),
    C("reason", "text", 'Error type and message, e.g. "HttpError: HTTP 500", "TimeoutError ...", '
                        '"IgnoreRequest: redirect loop ..."'),
), primary_key=("run_id", "url"))

PAGES = Table("pages", "Raw report pages as fetched, kept so extraction can be redone without fetching.", (
    C("url", "text", "Canonical URL (under the source's canonical_origin when it has one). Primary key."),
    C("source", "text", "Source name."),
    C("fetched_at", "timestamp", "When it was fetched (UTC)."),
    C("status", "int", "HTTP status."),
    C("content_type", "text", "The Content-Type header as served."),
    C("content_hash", "text", "The first 40 hex characters of the SHA-256 of the raw bytes."),
    C("html_z", "blob", "Raw bytes, zlib-compressed."),
    C("run_id", "text", "Run that stored this version."),
    C("relevant", "bool", "NULL: not judged yet; false: fails the source's keyword filter or has no text; true: extracted."),
), primary_key=("url",))

URL_ALIASES = Table("url_aliases", "Links that redirected to a stored page, so they are not fetched again.", (
    C("alias", "text", "The link (canonical form)."),
    C("url", "text", "The page it redirected to (pages.url)."),
), primary_key=("alias",))

ARTICLES = Table("articles", "One row per extracted report page.", (
    C("id", "text", "Article id (hash of the URL)."),
    C("url", "text", "pages.url."),
    C("source", "text", "Source name."),
    C("title", "text", "Title."),
    C("published", "date", "Publication date (from the page; NULL when none was found)."),
    C("lang", "text", "en or zh."),
    C("text", "text", "Main text, as extracted from the page."),
    C("main_city", "text", "The city (or province) the report is about, English form."),
    C("cities", "text[]", "Every city, county-level city or province named in the body."),
    C("content_hash", "text", "pages.content_hash the article was extracted from."),
    C("extractor_version", "text", "Version of the extractor that produced it."),
    C("extracted_at", "timestamp", "When it was extracted (UTC)."),
), primary_key=("id",), unique=("url",))

# facts and mentions carry no primary-key index: a load deletes an article's rows and inserts them anew
# in one transaction, which keeps them unique, and an index would cost 85% of the insert speed.
MENTIONS = Table("mentions", "Places and organisations named in an article, with character offsets into articles.text.", (
    C("article_id", "text", "articles.id."),
    C("kind", "text", "place or org."),
    C("name", "text", "Normalised name (English form for places)."),
    C("start", "int", "Offset of the first character in articles.text."),
    C("end", "int", "Offset after the last character."),
    C("text", "text", "The text as written."),
))

FACTS = Table("facts", "Every figure with what it counts, its city, and its evidence.", (
    C("id", "text", "Fact id (article, extractor version, offsets)."),
    C("article_id", "text", "articles.id."),
    C("url", "text", "Source page URL (evidence)."),
    *record_columns(Fact),
    C("published", "date", "The article's publication date."),
    C("lang", "text", "The article's language."),
    C("extractor_version", "text", "Version of the extractor that produced it."),
))

TABLES: tuple[Table, ...] = (SCHEMA_VERSION_TABLE, SOURCES, CRAWL_RUNS, CRAWL_FAILURES, PAGES, ARTICLES, MENTIONS, FACTS,
                             URL_ALIASES)

# The latest value per city, metric and unit, as of a day, of one slice of figures: written once, as a table
# macro, so the view and `compare` cannot drift apart. By default the slice is what a comparison wants: actual,
# city-wide totals of all levels (not a target, an addition, a yearly flow, a national subset or a district's
# count); `year` picks the figures that refer to one year (their stated year, else their publication's).
# Newest date first, then the largest value, then the id (stable).
LATEST_MACRO = """CREATE OR REPLACE MACRO latest_facts_as_of(cutoff, want_status := 'actual', want_aspect := 'total',
        want_level := NULL, want_scope := 'city', want_year := NULL) AS TABLE
    SELECT * EXCLUDE (rn) FROM (
        SELECT f.*, coalesce(f.year, year(f.published)) AS fact_year, row_number() OVER (
            PARTITION BY f.city, f.metric, f.unit
            ORDER BY f.published DESC NULLS LAST, f.value DESC, f.id) AS rn
        FROM facts f
        WHERE f.city IS NOT NULL AND f.metric IS NOT NULL AND (f.published IS NULL OR f.published <= cutoff)
          AND f.status = want_status AND f.aspect = want_aspect AND f.scope = want_scope
          AND f.level IS NOT DISTINCT FROM want_level
          AND (want_year IS NULL OR coalesce(f.year, year(f.published)) = want_year))
    WHERE rn = 1"""

# Claims: one figure as every page that reported it (same city, metric, unit, slice and year; values within
# about 0.5%, by rounding to three significant digits), with how many sources and hosts back it.
CLAIMS_SQL = """SELECT city, metric, unit, status, aspect, level, scope, coalesce(year, year(published)) AS year,
            min(value) AS value_low, max(value) AS value_high, count(*) AS facts,
            count(DISTINCT url) AS sources, count(DISTINCT regexp_extract(url, '^[a-z]+://([^/]+)', 1)) AS hosts,
            min(published) AS first_seen, max(published) AS last_seen, list(DISTINCT url ORDER BY url) AS urls,
            list(id ORDER BY id) AS fact_ids
        FROM facts
        WHERE city IS NOT NULL AND metric IS NOT NULL AND value IS NOT NULL
        GROUP BY city, metric, unit, status, aspect, level, scope, coalesce(year, year(published)),
            CASE WHEN value = 0 THEN 0 ELSE round(value / pow(10, floor(log10(abs(value))) - 2)) END,
            CASE WHEN value = 0 THEN 0 ELSE floor(log10(abs(value))) END"""

VIEWS: tuple[View, ...] = (
    View("latest_facts", "View. The latest actual, city-wide total of each metric for each city (no target, addition, "
                         "yearly flow, subset of one level or part of the city), with its evidence (url, published, "
                         "sentence). `latest_facts_as_of(DATE '2023-12-31', want_status := 'target', want_aspect := "
                         "'added', want_level := 'national', want_scope := 'part', want_year := 2024)` gives other "
                         "slices, as of a day.",
         "SELECT * FROM latest_facts_as_of(DATE '9999-12-31')",
         {"fact_year": "The year the figure refers to: its stated year, else its publication's."}),
    View("claims", "View. Each figure as reported by every page that gave it (same city, metric, unit, slice and "
                   "year, values within about 0.5%): how many sources and hosts back it, first and last seen.",
         CLAIMS_SQL,
         {"value_low": "Lowest value reported for the claim.", "value_high": "Highest value reported for the claim.",
          "facts": "Facts that make the claim.", "sources": "Distinct pages (URLs) that report it.",
          "hosts": "Distinct web hosts among them.", "first_seen": "Earliest publication date.",
          "last_seen": "Latest publication date.", "urls": "The pages.", "fact_ids": "facts.id of every fact in it.",
          "year": "The year the figure refers to: its stated year, else its publication's."}),
    View("city_metrics", "View. Per city and metric, how many facts and articles report it, first and last date.",
         """SELECT city, metric, count(*) AS facts, count(DISTINCT article_id) AS articles,
               min(published) AS first_published, max(published) AS last_published
        FROM facts WHERE city IS NOT NULL AND metric IS NOT NULL
        GROUP BY city, metric""",
         {"city": "City.", "metric": "Metric key.", "facts": "Facts reporting it.", "articles": "Articles reporting it.",
          "first_published": "Earliest date.", "last_published": "Latest date."}),
)


def about(name: str) -> str:
    return next((t.about for t in TABLES if t.name == name), None) or next((v.about for v in VIEWS if v.name == name), "")


def column_doc(table: str, column: str) -> str:
    """What a column means; a view's columns taken from facts are documented by facts."""
    for t in TABLES:
        if t.name == table:
            return next((c.doc for c in t.columns if c.name == column), "")
    for v in VIEWS:
        if v.name == table:
            return v.column_docs.get(column) or column_doc("facts", column)
    return ""
