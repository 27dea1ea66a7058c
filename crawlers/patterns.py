"""A source's URL patterns, matched in bounded time.

Why not `re`: a pattern such as '^(a|aa)+$' makes Python's backtracking engine run for minutes on one long
URL, and a sources file is user input. The `regex` package (a drop-in superset of `re`'s syntax) avoids most
such blow-ups outright and takes a timeout for the rest; URLs over URL_MAX characters are never matched.
`sources check` refuses a pattern that still needs more than CHECK_TIMEOUT_S on a long probe URL.
"""
from __future__ import annotations

import regex

URL_MAX = 2048  # longer URLs are not matched (nor fetched)
MATCH_TIMEOUT_S = 0.05  # per URL: a URL that takes longer counts as not matching
CHECK_TIMEOUT_S = 0.2


def compile_pattern(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern)


def search(pattern: regex.Pattern[str], url: str) -> bool:
    if len(url) > URL_MAX:
        return False
    try:
        return pattern.search(url, timeout=MATCH_TIMEOUT_S) is not None
    except TimeoutError:
        return False


def backtracks(pattern: str) -> bool:
    """Whether the pattern needs more than CHECK_TIMEOUT_S on some long URL-like probe: built from the
    characters the pattern itself names, repeated, then a character that makes the match fail."""
    compiled = regex.compile(pattern)
    letters = sorted({c for c in pattern if c.isalnum() or c in "/-_.%"} | {"a", "0", "/"})
    probes = [f"http://example.cn/{c * 1500}!" for c in letters]
    probes += [f"http://example.cn/{(c + d) * 750}!" for c, d in zip(letters, letters[1:], strict=False)]
    try:
        for probe in probes:
            compiled.search(probe, timeout=CHECK_TIMEOUT_S)
    except TimeoutError:
        return True
    return False
