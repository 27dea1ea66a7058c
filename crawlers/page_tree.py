"""A page as a reader sees it: its parsed tree, its visible lines, and the rule files that read pages.

Shared by crawlers/main_text.py and crawlers/page_dates.py, so a page is parsed once (crawlers/parse.py
hands the tree to both) and lines are cut the same way for finding the body and the date.
"""
from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import yaml
from lxml import html as lxml_html

BLOCKS = {"p", "div", "li", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "br", "table", "ul", "ol", "dd",
          "dt", "section", "article", "header", "footer", "span", "font", "em", "i"}


def parse_tree(html: str) -> Any:
    """lxml's tree of the page, or None for an empty or unparseable one."""
    try:
        return lxml_html.fromstring(html) if html.strip() else None
    except (ValueError, lxml_html.etree.ParserError):
        return None


LONG_TAG = re.compile(r"<([a-zA-Z][\w:-]{0,40})[^<>]{2000,}>")
MAX_ATTRIBUTES = 500  # far more than any real tag carries; lxml checks each new attribute against all before it


def tame_tags(html: str) -> str:
    """The page with any tag carrying more than MAX_ATTRIBUTES attributes cut to its bare name.

    libxml2's duplicate-attribute check is quadratic: one tag with 200,000 attributes took minutes per parse (and
    a page is parsed several times). Only tags over 2,000 characters are looked at, so an ordinary page is
    returned as it is; a long tag with few attributes (an inline image as a data: URI) is kept whole."""
    if len(html) < 2000:
        return html

    def cut(m: re.Match[str]) -> str:
        return f"<{m.group(1)}>" if m.group(0).count("=") > MAX_ATTRIBUTES else m.group(0)

    return LONG_TAG.sub(cut, html)


def gave_up_at(body: bytes) -> str | None:
    """Why lxml stopped reading a page before its end (nesting past its depth limit, an entity bomb), or None.
    lxml says so only in its error log: without this a page 100,000 levels deep reads as one with no links."""
    parser = lxml_html.HTMLParser(huge_tree=True)
    try:
        lxml_html.etree.fromstring(body, parser)
    except (ValueError, lxml_html.etree.ParserError, lxml_html.etree.XMLSyntaxError):
        return None
    limits = [e.message for e in parser.error_log if e.type_name == "ERR_RESOURCE_LIMIT"]
    return limits[0] if limits else None


@functools.cache
def rule_file(name: str) -> dict[str, Any]:
    """A packaged YAML rule file of crawlers/data (page_dates.yaml, main_text.yaml)."""
    data: dict[str, Any] = yaml.safe_load(resources.files("crawlers").joinpath("data", name).read_text("utf-8"))
    return data


def visible_lines(tree: Any) -> list[str]:
    """The page's text as a reader sees it, a line per block (scripts, styles and comments left out)."""
    parts: list[str] = []
    skip = {"script", "style", "noscript", "template", "textarea", "select"}

    def walk(el: Any) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag.lower() in skip:
            if el.tail:
                parts.append(el.tail)
            return
        block = tag.lower() in BLOCKS
        if block:
            parts.append("\n")
        if isinstance(el.tag, str) and el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    walk(tree)
    return [" ".join(line.split()) for line in "".join(parts).split("\n") if line.strip()]
