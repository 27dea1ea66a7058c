"""When a page was published: what the page itself says first, htmldate last.

Why not htmldate alone: on Chinese government and news pages it often picks a copyright year, an image
path or a date from another item's list, while the page states its date beside the title ("2019-06-12
09:15更新 来源：…", "发布时间：2018年3月7日"). So the order is: the CMS's meta tags; the date line near the
title; a date in the URL; then htmldate's search; then the first dated cue line anywhere in the text.
Footer, copyright and ICP lines never count. The cue words and meta names are data (page_dates.yaml).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from htmldate import find_date

from crawlers.page_tree import parse_tree, rule_file, visible_lines

# A day written out: 2019-06-12, 2019/6/12, 2019.06.12, 2019年6月12日, with an optional time of day after it.
DAY = re.compile(r"((?:19|20)\d\d)\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})(?!\d)\s*日?")
TIME = re.compile(r"^\s*\d{1,2}[:：]\d\d")

@dataclass(frozen=True)
class Dated:
    day: str  # YYYY-MM-DD
    source: str  # meta | line | url | htmldate | text | selector


def _rules() -> dict[str, Any]:
    return rule_file("page_dates.yaml")


def as_day(y: str | int, m: str | int, d: str | int) -> str | None:
    try:
        day = date(int(y), int(m), int(d))
    except ValueError:
        return None
    return day.isoformat() if 1990 <= day.year <= date.today().year + 1 else None


def first_day(text: str) -> str | None:
    for m in DAY.finditer(text):
        day = as_day(*m.groups())
        if day:
            return day
    return None


def _meta(tree: Any) -> str | None:
    names = {n.lower() for n in _rules()["meta_names"]}
    for el in tree.iter("meta"):
        key = (el.get("name") or el.get("property") or el.get("itemprop") or el.get("http-equiv") or "").lower()
        if key in names:
            day = first_day(el.get("content") or "")
            if day:
                return day
    return None


def _is_furniture(line: str) -> bool:
    return any(w.lower() in line.lower() for w in _rules()["not_date_lines"])


def _date_line(lines: list[str], title: str | None) -> str | None:
    """The date beside the title: the first short line after the title (or near the top) that reads as a
    date line: a cue word (发布时间, 来源, Published) or a time of day after the date."""
    cues = _rules()["line_cues"]
    start = 0
    if title:
        t = " ".join(title.split())[:20]
        start = next((i for i, line in enumerate(lines) if t and t in line), 0)
    windows = [lines[start:start + 25], lines[:60]] if start else [lines[:60]]
    for line in (line for window in windows for line in window):
        if len(line) > 160 or _is_furniture(line):
            continue
        for m in DAY.finditer(line):
            day = as_day(*m.groups())
            if not day:
                continue
            around = line[max(0, m.start() - 12):m.end() + 12]
            if any(c in around for c in cues) or TIME.match(line[m.end():]) or len(line) <= m.end() - m.start() + 14:
                return day
    return None


def _url(url: str | None) -> str | None:
    if not url:
        return None
    for pattern in _rules()["url_patterns"]:
        m = re.search(pattern, url)
        if m:
            day = as_day(*m.groups())
            if day:
                return day
    return None


def _htmldate(html: str, url: str | None) -> str | None:
    try:
        return find_date(html, url=url, outputformat="%Y-%m-%d", original_date=True, extensive_search=True)
    except Exception:  # noqa: BLE001 - htmldate raises on pathological markup; a missing date is not fatal
        return None


def _not_furniture(day: str | None, lines: list[str]) -> str | None:
    """htmldate's day, unless the page shows it only in its footer (a copyright or ICP line)."""
    if day is None:
        return None
    shown = [line for line in lines if any(as_day(*m.groups()) == day for m in DAY.finditer(line))]
    return None if shown and all(_is_furniture(line) for line in shown) else day


def _cue_line(lines: list[str]) -> str | None:
    cues = _rules()["strong_cues"]
    for line in lines:
        if _is_furniture(line):
            continue
        for cue in cues:
            at = line.find(cue)
            if at >= 0:
                day = first_day(line[at:at + 40])
                if day:
                    return day
    return None


def page_date(html: str, url: str | None = None, title: str | None = None, tree: Any = None) -> Dated | None:
    """The page's publication day and where it came from; `tree` is the page parsed by page_tree.parse_tree, when
    the caller has it already."""
    tree = tree if tree is not None else parse_tree(html)
    lines = visible_lines(tree) if tree is not None else []
    found = [("meta", lambda: _meta(tree) if tree is not None else None),
             ("line", lambda: _date_line(lines, title)),
             ("url", lambda: _url(url)),
             ("htmldate", lambda: _not_furniture(_htmldate(html, url), lines)),
             ("text", lambda: _cue_line(lines))]
    for source, get in found:
        day = get()
        if day:
            return Dated(day, source)
    return None
