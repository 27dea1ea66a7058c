"""How a column page lists its articles and its further pages, by the CMS that made it.

Why our own: the CMSs behind most Chinese government sites hide their lists from a plain link extractor.
- Hanweb ("jpage", /col/colNNNN/index.html): records sit as CDATA inside <script type="text/xml"><datastore>;
  later pages come only from /module/web/jpage/dataproxy.jsp, asked with the column's parameters from the
  page's jpage({... ajaxParam: {...}}) call plus startrecord/endrecord/perpage; the answer is XML with
  <totalrecord> and the same CDATA records.
- TRS WCM: pagination is a script call createPageHTML(countPage, currentPage, "index", "shtml"); the pages
  index_1.shtml … index_{n-1}.shtml are never linked by an <a>.
- JSON lists: a script variable or an XHR endpoint, fields mapped in the source (json_list).
- Plain HTML: <a> and <area> links; further pages by 下一页 / 尾页 / page-number links and index_N files.
These functions only read text; the spider (crawlers/spiders/reports.py) decides what to request.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

SHAPES = ("html", "hanweb", "trs", "json")

HANWEB_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
JPAGE = re.compile(r"jpage\s*\(\s*\{(.*?)\}\s*\)\s*;?", re.S)
AJAX_PARAM = re.compile(r"ajaxParam\s*:\s*\{(.*?)\}", re.S)
JS_PAIR = re.compile(r"""["']?(\w+)["']?\s*:\s*(?:"([^"]*)"|'([^']*)'|(-?\d+(?:\.\d+)?)|(true|false))""")
TOTAL_RECORD = re.compile(r"<totalrecord>\s*(\d+)\s*</totalrecord>", re.I)
TRS_PAGES = re.compile(r"createPageHTML\s*\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([^'\"]+)['\"]\s*,"
                       r"\s*['\"]([^'\"]+)['\"]")
PAGER_TEXT = re.compile(r"^\s*(?:下一页|下页|后页|尾页|末页|最后一页|next|next page|last|›|»|>|>>|\d{1,4})\s*$", re.I)
INDEX_N = re.compile(r"/(?:index|list|default)[_-]\d+\.s?html?$", re.I)


def detect(text: str) -> str:
    """The list shape a page shows: hanweb, trs or html (json is named by the source, never guessed)."""
    head = text[:400_000]
    if "<datastore>" in head.lower() or ("jpage" in head and "dataproxy" in head):
        return "hanweb"
    if TRS_PAGES.search(head):
        return "trs"
    return "html"


def hrefs(fragment: str, base: str) -> list[str]:
    """Absolute targets of the href attributes in an HTML fragment (a CDATA record)."""
    out = []
    for m in HREF.finditer(fragment):
        raw = next(g for g in m.groups() if g is not None).strip()
        if raw and not raw.lower().startswith(("javascript:", "mailto:", "#")):
            out.append(urljoin(base, raw.replace("&amp;", "&")))
    return out


def hanweb_records(text: str, base: str) -> list[str]:
    """Article links in a Hanweb page's or dataproxy answer's CDATA records."""
    return [u for record in HANWEB_RECORD.findall(text) for u in hrefs(record, base)]


def _js_object(body: str) -> dict[str, str]:
    return {m.group(1): next(g for g in m.groups()[1:] if g is not None) for m in JS_PAIR.finditer(body)}


def hanweb_paging(text: str) -> dict[str, Any] | None:
    """What dataproxy.jsp needs for the later pages: {url, params, perpage, total}, from the jpage() call."""
    call = JPAGE.search(text)
    if not call:
        return None
    body = call.group(1)
    ajax = AJAX_PARAM.search(body)
    params = _js_object(ajax.group(1)) if ajax else {}
    outer = _js_object(AJAX_PARAM.sub("", body))
    lower = {k.lower(): v for k, v in outer.items()}
    url = lower.get("url") or "/module/web/jpage/dataproxy.jsp"
    perpage = int(float(lower.get("perpage") or 15))
    total = lower.get("totalrecord")
    return {"url": url, "params": params, "perpage": max(1, perpage), "total": int(float(total)) if total else None}


def hanweb_total(text: str) -> int | None:
    m = TOTAL_RECORD.search(text)
    return int(m.group(1)) if m else None


def trs_pages(text: str, page_url: str) -> list[str]:
    """The further pages a TRS createPageHTML(count, current, "index", "shtml") call stands for."""
    m = TRS_PAGES.search(text)
    if not m:
        return []
    count, name, ext = int(m.group(1)), m.group(3), m.group(4)
    return [urljoin(page_url, f"{name}_{i}.{ext}") for i in range(1, count)]


def is_pager(link_text: str, url: str, page_url: str) -> bool:
    """A link to a further page of the same column: 下一页, 尾页, a page number, or an index_N file beside it."""
    here, there = urlsplit(page_url), urlsplit(url)
    if here.netloc != there.netloc:
        return False
    same_dir = there.path.rsplit("/", 1)[0] == here.path.rsplit("/", 1)[0]
    return (same_dir and bool(INDEX_N.search(there.path))) or (bool(PAGER_TEXT.match(link_text or "")) and same_dir)


def dig(data: Any, path: str) -> Any:
    """data at a dotted path ("data.list"); "" is the data itself."""
    for key in filter(None, path.split(".")):
        if isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        elif isinstance(data, dict):
            data = data.get(key)
        else:
            return None
    return data


def json_items(payload: Any, items: str, url_field: str, date_field: str | None, base: str) -> Iterator[tuple[str, str | None]]:
    """(article URL, its date) of each item of a JSON list."""
    found = dig(payload, items)
    if not isinstance(found, list):
        return
    for item in found:
        if not isinstance(item, dict):
            continue
        link = dig(item, url_field)
        if isinstance(link, str) and link.strip():
            day = dig(item, date_field) if date_field else None
            yield urljoin(base, link.strip()), (str(day) if day is not None else None)


def script_variable(text: str, name: str) -> Any:
    """The JSON value assigned to a script variable (var newsList = [...];), or None."""
    m = re.search(rf"(?:var|let|const|window\.)?\s*\b{re.escape(name)}\s*=\s*", text)
    if not m:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[m.end():].lstrip())
    except ValueError:
        return None
    return value
