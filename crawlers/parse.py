"""From raw page bytes to title, date, language hint and main text.

Shared by the crawler's pipeline, `cityfacts parse` and `cityfacts reextract`,
so a page is read the same way however it arrived. Decoding follows the
browser's order (BOM, HTTP header, meta tag) through w3lib, but a declared
encoding that does not decode the bytes cleanly is overruled by
charset-normalizer's reading of the bytes themselves.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import charset_normalizer
import trafilatura
from htmldate import find_date
from w3lib.encoding import html_body_declared_encoding, html_to_unicode, http_content_type_encoding, resolve_encoding


@dataclass
class ParsedPage:
    url: str | None
    title: str | None
    published: str | None
    text: str
    encoding: str


def _detect(body: bytes) -> str | None:
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    return best.encoding if best else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding) of an HTML page."""
    declared = http_content_type_encoding(content_type) if content_type else None
    declared = declared or html_body_declared_encoding(body)
    if declared:
        enc = resolve_encoding(declared) or declared
        try:
            return body.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            pass  # the declaration lies; decide from the bytes
        detected = _detect(body)
        if detected:
            try:
                return body.decode(detected), detected
            except (UnicodeDecodeError, LookupError):
                pass
    enc, text = html_to_unicode(content_type, body, auto_detect_fun=lambda b: _detect(b))
    return text, enc


DATE_PATTERNS = (
    re.compile(r"(20\d\d|19\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),
    re.compile(r"(?:Time|Date|Published|发布时间|时间|日期)\s*[:：]?\s*(20\d\d)[.\-/](\d{1,2})[.\-/](\d{1,2})"),
)


def find_published(html: str, text: str) -> str | None:
    try:
        found = find_date(html, outputformat="%Y-%m-%d", original_date=True, extensive_search=True)
    except Exception:  # htmldate raises on pathological markup; a missing date is not fatal
        found = None
    if found:
        return found
    for pat in DATE_PATTERNS:
        m = pat.search(text) or pat.search(html)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            if 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def parse_page(body: bytes, url: str | None = None, content_type: str | None = None) -> ParsedPage:
    html, enc = decode_html(body, content_type)
    doc = trafilatura.bare_extraction(html, url=url, include_comments=False, include_tables=True,
                                      favor_precision=True, with_metadata=True)
    text = ""
    title = None
    if doc is not None:
        text = (doc.text or "").strip()
        title = doc.title
    if title and text.startswith(title):
        text = text[len(title):].lstrip("\n")
    return ParsedPage(url=url, title=title, published=find_published(html, text), text=text, encoding=enc)
