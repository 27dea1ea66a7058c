"""The sources file: which sites to crawl and how, validated with pydantic.

Errors name the file, the field path and, where the YAML has one, the line:
`sources.yaml:7: sources[0].article_pattern: invalid regular expression ...`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crawlers import strict_yaml


class SourcesError(ValueError):
    """A sources file that cannot be used; str() is the one-line message for the user."""


class Politeness(BaseModel):
    model_config = ConfigDict(extra="forbid")
    download_delay: float = Field(0.5, ge=0)
    autothrottle: bool = True
    concurrency_per_domain: int = Field(2, ge=1, le=16)
    timeout_s: float = Field(30, gt=0, le=600)
    retries: int = Field(2, ge=0, le=10)
    max_page_bytes: int = Field(10 * 1024 * 1024, ge=10_000)


class Selectors(BaseModel):
    """CSS or XPath (starting with / or ( ) for sites where generic extraction is not enough."""

    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    date: str | None = None
    body: str | None = None

    @field_validator("title", "date", "body")
    @classmethod
    def _valid(cls, sel: str | None) -> str | None:
        if sel is not None:
            from parsel import Selector

            try:
                probe = Selector(text="<html></html>")
                probe.xpath(sel) if sel.lstrip().startswith(("/", "(")) else probe.css(sel)
            except Exception as exc:  # parsel raises several types for a bad expression
                raise ValueError(f"invalid selector {sel!r}: {exc}") from None
        return sel


class JsonList(BaseModel):
    """A list served as JSON: in a script variable of the list page, or from an endpoint with a {page} number."""

    model_config = ConfigDict(extra="forbid")
    endpoint: str | None = None  # e.g. https://site/api/news?page={page}
    variable: str | None = Field(None, pattern=r"^[A-Za-z_$][\w$]*$")  # e.g. newsList in `var newsList = [...]`
    items: str = ""  # dotted path to the list in the JSON ("data.list"); "" when the JSON is the list
    url: str = "url"  # field of an item holding the article's URL (dotted path)
    date: str | None = None  # field holding its date, if any (lets --since skip old items)
    first_page: int = Field(1, ge=0)

    @model_validator(mode="after")
    def _one_place(self) -> JsonList:
        if not self.endpoint and not self.variable:
            raise ValueError("json_list needs an endpoint (with {page}) or a script variable")
        if self.endpoint and "{page}" not in self.endpoint:
            raise ValueError(f"json_list.endpoint needs a {{page}} placeholder: {self.endpoint!r}")
        return self


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[\w.-]+$")
    start_urls: list[str] = Field(min_length=1)
    article_pattern: str
    follow_pattern: str | None = None
    lang: Literal["en", "zh", "auto"] = "auto"
    allowed_domains: list[str] = Field(default_factory=list)
    feeds: list[str] = Field(default_factory=list)
    sitemaps: list[str] = Field(default_factory=list)
    selectors: Selectors = Field(default_factory=Selectors)
    keywords: list[str] = Field(default_factory=list)
    # Fetch stored report pages again after this many days (pages that change); default: once only.
    refetch_days: float | None = Field(None, ge=0)
    politeness: Politeness = Field(default_factory=Politeness)
    untested: bool = False
    # How its column pages list articles and further pages (crawlers/list_shapes.py): auto detects hanweb
    # (jpage/dataproxy), trs (createPageHTML) or plain html; json needs json_list.
    list_shape: Literal["auto", "html", "hanweb", "trs", "json"] = "auto"
    json_list: JsonList | None = None
    # List pages (or list requests) followed per start URL, the first included.
    max_list_pages: int = Field(20, ge=1, le=10_000)
    # Report pages fetched per run; the rest waits for the next run (a link farm cannot run a crawl forever).
    max_pages: int = Field(2000, ge=1, le=1_000_000)
    # Links followed from a start URL, at most this deep beyond its list pages (Scrapy's DEPTH_LIMIT is this plus
    # max_list_pages, so paging through a column does not use it up).
    max_depth: int = Field(10, ge=1, le=1000)
    # Stop paging a column once a whole list page brings no article that is not already stored.
    stop_paging_when_seen: bool = True
    # The CMS family the source was checked against (a loopback replica in tests/), for the bundled list.
    family: Literal["hanweb", "trs", "html", "json"] | None = None
    # A crawl still running after this many seconds is stopped; the pages it fetched are kept.
    crawl_timeout_s: float = Field(6 * 3600, gt=0)
    # Origin to store URLs under when the address crawled is temporary (a
    # mirror, or a local server on a random port): keeps keys stable across runs.
    canonical_origin: str | None = Field(None, pattern=r"^https?://[^/\s]+$")

    @field_validator("start_urls", "feeds", "sitemaps")
    @classmethod
    def _http_only(cls, urls: list[str]) -> list[str]:
        for u in urls:
            parsed = urlparse(u)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ValueError(f"not an http(s) URL: {u!r}")
        return urls

    @field_validator("article_pattern", "follow_pattern")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
            from crawlers.patterns import backtracks

            if backtracks(pattern):
                raise ValueError(f"regular expression {pattern!r} backtracks catastrophically on long URLs "
                                 "(nested repetition such as (a|aa)+): simplify it")
        return pattern

    @model_validator(mode="after")
    def _json_list(self) -> Source:
        if self.list_shape == "json" and self.json_list is None:
            raise ValueError("list_shape: json needs a json_list (endpoint or variable, and the item fields)")
        return self

    @model_validator(mode="after")
    def _domains(self) -> Source:
        """The hosts the source starts from are always allowed: Scrapy's offsite filter would otherwise drop the
        robots.txt request for a start URL outside allowed_domains, and the page would be fetched unchecked."""
        starts = {urlparse(u).hostname or "" for u in self.start_urls + self.feeds + self.sitemaps}
        self.allowed_domains = sorted(set(self.allowed_domains) | starts)
        return self


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Who runs this crawler: goes into the User-Agent so site owners can reach you.
    contact: str | None = None
    sources: list[Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> SourcesFile:
        names = [s.name for s in self.sources]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"duplicate source name(s): {', '.join(sorted(dup))}")
        return self


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if k.value == key), None)
            if found is None:
                return line
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for key in loc:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(top level)"


PLACEHOLDER = re.compile(r"\{(\w+)\}")


def placeholders(data: Any) -> set[str]:
    """The `{name}` variables a sources file's URLs use (the bundled demo file uses {demo})."""
    found: set[str] = set()
    for src in (data.get("sources") or []) if isinstance(data, dict) else []:
        for key in ("start_urls", "feeds", "sitemaps"):
            for u in (src.get(key) or []) if isinstance(src, dict) else []:
                if isinstance(u, str):
                    found |= set(PLACEHOLDER.findall(u))
    return found


MAX_SOURCES_BYTES = 5_000_000


def load_sources(path: str | Path, variables: dict[str, str] | None = None) -> list[Source]:
    """Read and validate a sources file; `{name}` in start URLs is filled from variables."""
    return load_sources_file(path, variables).sources


def load_sources_file(path: str | Path, variables: dict[str, str] | None = None) -> SourcesFile:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_SOURCES_BYTES + 1)  # never the whole of /dev/zero
        if len(raw) > MAX_SOURCES_BYTES:
            raise SourcesError(f"{path}: over {MAX_SOURCES_BYTES // 1_000_000} MB: not a sources file")
        text = raw.decode("utf-8")
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        at = raw[:exc.start].count(b"\n") + 1
        raise SourcesError(f"{path}:{at}: not UTF-8 text (byte {exc.start})") from None
    try:
        data = strict_yaml.load(text)
        root = yaml.compose(text)
    except RecursionError:
        raise SourcesError(f"{path}: not valid YAML: nested too deeply") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise SourcesError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise SourcesError(f"{path}: expected a mapping with a 'sources:' list at the top level")
    missing = sorted(placeholders(data) - set(variables or {}))
    if missing:
        names = ", ".join(f"{{{m}}}" for m in missing)
        example = " ".join(f"--var {m}=URL" for m in missing)
        raise SourcesError(f"{path}: start URLs use {names}: give {'its' if len(missing) == 1 else 'their'} value "
                           f"({example}), or serve the demo with `cityfacts demo --serve`")
    if variables:
        for src in data.get("sources") or []:
            for key in ("start_urls", "feeds", "sitemaps"):
                if isinstance(src, dict) and isinstance(src.get(key), list):
                    src[key] = [u.format(**variables) if isinstance(u, str) else u for u in src[key]]
    try:
        return SourcesFile.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():  # every mistake, a line each, so one check shows them all
            loc = tuple(err["loc"])
            line = _line_of(root, loc)
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{path}{f':{line}' if line else ''}: {_loc_text(loc)}: {msg}")
        raise SourcesError("\n".join(lines)) from None
