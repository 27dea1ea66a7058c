"""A page's main text and title: trafilatura first, and a fallback that never leaves a page with a body empty.

Why a fallback: trafilatura (tuned for precision here, which keeps related-article teasers out) returns
nothing for some malformed pages (unclosed tags, the body inside the <h1>) whose text a reader sees
plainly, and far too little for some table-laid-out ones. Then, in order: a CMS body container that the
page has (div#zoom, .TRS_Editor, … listed in main_text.yaml); trafilatura without the precision bias;
the page's visible lines less navigation (lines that are mostly links) and footer furniture.
The title falls back the same way: <h1>, the CMS's ArticleTitle / og:title meta, then <title> less its
site-name suffix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import trafilatura

from crawlers.page_tree import parse_tree, rule_file, visible_lines


@dataclass
class MainText:
    text: str
    title: str | None
    source: str  # trafilatura | container | trafilatura-recall | visible | none


def _rules() -> dict[str, Any]:
    return rule_file("main_text.yaml")


def _size(text: str) -> int:
    return len(re.sub(r"\s+", "", text))


def _reader_text(tree: Any) -> str:
    """What a reader sees as the body: visible lines, less link-heavy ones (menus) and footer furniture."""
    furniture = [w.lower() for w in _rules()["furniture"]]
    links = {" ".join(a.text_content().split()) for a in tree.iter("a")}
    out = []
    for line in visible_lines(tree):
        if any(w in line.lower() for w in furniture):
            continue
        linked = sum(len(t) for t in links if t and t in line)
        if linked >= 0.5 * len(line):
            continue
        out.append(line)
    return "\n".join(out)


def _container(tree: Any) -> str | None:
    for selector in _rules()["containers"]:
        try:
            found = tree.cssselect(selector)
        except Exception:  # noqa: BLE001 - a selector lxml cannot compile is skipped, not fatal
            continue
        for el in found:
            text = "\n".join(visible_lines(el))
            if _size(text) >= _rules()["min_chars"]:
                return text
    return None


def _title(tree: Any, found: str | None) -> str | None:
    """trafilatura's title when usable; else <h1>, the CMS meta title, then <title> less the site name."""
    limit = _rules()["max_title_chars"]
    if found and len(found) <= limit:
        return found
    if tree is None:
        return None
    for h1 in tree.iter("h1"):
        lines = visible_lines(h1)
        if lines and 0 < len(lines[0]) <= limit:
            return lines[0]
    names = {n.lower() for n in _rules()["title_meta"]}
    for el in tree.iter("meta"):
        key = (el.get("name") or el.get("property") or "").lower()
        if key in names and (el.get("content") or "").strip():
            return " ".join(el.get("content").split())[:limit]
    for el in tree.iter("title"):
        title = " ".join(el.text_content().split())
        title = re.split(_rules()["site_suffix"], title)[0].strip()
        if title:
            return title[:limit]
    return None


def main_text(html: str, url: str | None, tree: Any = None) -> MainText:
    doc = None
    if html.strip():
        try:
            doc = trafilatura.bare_extraction(html, url=url, include_comments=False, include_tables=True,
                                              favor_precision=True, with_metadata=True)
        except Exception:  # noqa: BLE001 - trafilatura gives up on some pathological markup; the fallbacks follow
            doc = None
    text, title = "", None
    if doc is not None and not isinstance(doc, dict):
        text, title = (doc.text or "").strip(), doc.title
    tree = tree if tree is not None else parse_tree(html)
    if tree is None:
        return MainText(text, title, "trafilatura" if text else "none")
    source = "trafilatura"
    reader = _reader_text(tree)
    if _size(text) < _rules()["min_share"] * _size(reader):
        container = _container(tree)
        recall = ""
        if container is None:
            try:
                recall = (trafilatura.extract(html, url=url, include_comments=False, include_tables=True,
                                              favor_recall=True) or "").strip()
            except Exception:  # noqa: BLE001 - as above
                recall = ""
        for candidate, name in ((container, "container"), (recall, "trafilatura-recall"), (reader, "visible")):
            if candidate and _size(candidate) >= _rules()["min_share"] * _size(reader) and _size(candidate) > _size(text):
                text, source = candidate, name
                break
    text = _without_layout(text, _link_texts(tree))
    title = _title(tree, title)
    return MainText(text, title, source if text else "none")


def _link_texts(tree: Any) -> set[str]:
    return {t for t in (" ".join(a.text_content().split()) for a in tree.iter("a")) if t}


def _linky(cell: str, links: set[str]) -> bool:
    """Mostly link text (a menu, a breadcrumb) or nothing but separators."""
    bare = re.sub(r"[\s|>»›/\\·•-]+", "", cell)
    if not bare:
        return True
    linked = sum(len(re.sub(r"\s+", "", t)) for t in links if t in cell)
    return linked >= 0.5 * len(bare)


def _without_layout(text: str, links: set[str]) -> str:
    """trafilatura's text without the page's layout tables: rows of menus and empty cells go; a row that
    holds the article in one long cell keeps that cell. Data tables (short cells that are not links, such as
    a table of figures) stay as they are."""
    long_cell = _rules()["long_cell_chars"]
    out = []
    furniture = [w.lower() for w in _rules()["furniture"]]
    for line in text.split("\n"):
        if len(line) < 300 and any(w in line.lower() for w in furniture):
            continue  # a copyright or ICP line
        if not line.startswith("|"):
            if not (len(line) < 200 and _linky(line, links) and not re.search(r"[。！？.!?]\W*$", line)):
                out.append(line)
            continue
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        filled = [c for c in cells if c]
        if not filled or all(_linky(c, links) for c in filled):
            continue
        long = [c for c in filled if len(c) >= long_cell]
        if long:
            out.extend(long)
        else:
            out.append(line)
    return "\n".join(out).strip()
