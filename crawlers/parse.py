"""From raw page bytes to title, date, language hint and main text.

Shared by the crawler's pipeline, `cityfacts parse` and `cityfacts reextract`,
so a page is read the same way however it arrived. Decoding follows the
browser's order (BOM, HTTP header, meta tag) through w3lib, but a declared
encoding that does not decode the bytes cleanly is overruled by
charset-normalizer's reading of the bytes themselves.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import charset_normalizer
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, resolve_encoding

from crawlers.main_text import main_text
from crawlers.page_dates import first_day, page_date
from crawlers.page_tree import parse_tree, tame_tags

# Both libraries log an ERROR for every empty or binary page; for a crawler those are ordinary pages to skip.
for _name in ("trafilatura", "htmldate"):
    logging.getLogger(_name).setLevel(logging.CRITICAL)


@dataclass
class ParsedPage:
    url: str | None
    title: str | None
    published: str | None
    text: str
    encoding: str
    text_from: str = "trafilatura"  # trafilatura | selector | fallback | none
    date_from: str | None = None  # selector | meta | line | url | htmldate | text


def _detect(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    return best.encoding if best else None


SINGLE_BYTE_WESTERN = {"latin-1", "iso-8859-1", "iso8859-1", "cp1252", "windows-1252", "ascii", "us-ascii", "latin1"}


def _norm(enc: str | None) -> str | None:
    if not enc:
        return None
    enc = (resolve_encoding(enc) or enc).lower()
    # GB2312 pages routinely use GBK characters; GB18030 is the superset that reads both.
    return {"gb2312": "gb18030", "gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}.get(enc, enc)


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding) of an HTML page, trusting the bytes over what the server or page claims.

    Order: a BOM; valid UTF-8 (non-UTF-8 text is practically never valid UTF-8);
    the HTTP header, then the meta tag, each only if it decodes the bytes
    cleanly (a western single-byte charset decodes anything, so it is not
    believed for bytes outside ASCII); then charset-normalizer's reading.
    """
    if body.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        enc, text = html_to_unicode(content_type, body)
        return text, enc
    try:
        text = body.decode("utf-8")
        return text, "utf-8"
    except UnicodeDecodeError:
        pass
    ascii_only = max(body, default=0) < 0x80
    for declared in (http_content_type_encoding(content_type) if content_type else None,
                     html_body_declared_encoding(body)):
        claimed = _norm(declared)
        if not claimed or claimed == "utf-8" or (claimed in SINGLE_BYTE_WESTERN and not ascii_only):
            continue
        try:
            return body.decode(claimed), claimed
        except (UnicodeDecodeError, LookupError):
            continue
    detected = _norm(_detect(body))
    if detected:
        try:
            return body.decode(detected), detected
        except (UnicodeDecodeError, LookupError):
            pass
    return body.decode("gb18030", errors="replace"), "gb18030"


def _select(html: str, selector: str, join: str = "\n") -> str | None:
    from parsel import Selector

    sel = Selector(text=html)
    nodes = sel.xpath(selector) if selector.lstrip().startswith(("/", "(")) else sel.css(selector)
    parts = []
    for node in nodes:
        if isinstance(node.root, str):
            parts.append(node.root)
        else:
            parts.append(join.join(t.strip() for t in node.xpath(".//text()[not(ancestor::script or ancestor::style)]").getall() if t.strip()))
    out = join.join(p.strip() for p in parts if p.strip())
    return out or None


def parse_page(body: bytes, url: str | None = None, content_type: str | None = None,
               selectors: dict[str, str | None] | None = None) -> ParsedPage:
    """Main text, title and date; a source's own selectors, where given, take precedence."""
    html, enc = decode_html(body, content_type)
    html = tame_tags(html)
    selectors = selectors or {}
    tree = parse_tree(html)  # once, for the main text and the date
    found = main_text(html, url, tree)
    text, title, text_from = found.text, found.title, found.source
    body_sel, title_sel, date_sel = selectors.get("body"), selectors.get("title"), selectors.get("date")
    if body_sel:
        selected = _select(html, body_sel)
        text, text_from = (selected, "selector") if selected else (text, text_from)
    if title_sel:
        title = _select(html, title_sel, " ") or title
    if title and text.split("\n", 1)[0].strip() == title.strip():
        text = text.split("\n", 1)[1].lstrip("\n") if "\n" in text else ""  # the headline repeated as first line
    published, date_from = None, None
    if date_sel:
        raw = _select(html, date_sel, " ")
        published = first_day(raw) if raw else None
        date_from = "selector" if published else None
    if not published:
        dated = page_date(html, url, title, tree)
        published, date_from = (dated.day, dated.source) if dated else (None, None)
    return ParsedPage(url=url, title=title, published=published, text=text, encoding=enc, text_from=text_from,
                      date_from=date_from)
