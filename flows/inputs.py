"""Reading the files a user names on the command line: plain text in any encoding, or raw page bytes.

Reads stop at MAX_INPUT_BYTES (a report or a page is far smaller; /dev/zero
is not a report), and a UTF-8 file with a few stray bytes is read with those
bytes replaced and counted, not rejected whole.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

MAX_INPUT_BYTES = 20_000_000
STRAY_BYTES_PER_MB = 100  # more replaced bytes than this means another encoding, not a damaged UTF-8 file


def read_bytes(path: str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The file's bytes, or standard input's for `-`; ValueError past the limit (read no further than that)."""
    if path == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        with Path(path).open("rb") as fh:
            data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"over {limit // 1_000_000} MB: too large for one report or page")
    return data


def decode_text(data: bytes) -> tuple[str, int]:
    """Text and how many bytes were replaced: UTF-8 (with or without BOM), UTF-8 with a few stray bytes, else the
    encoding charset-normalizer finds; ValueError for binary data."""
    try:
        return data.decode("utf-8-sig"), 0
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="replace")
    stray = text.count("\ufffd") - data.count("\ufffd".encode())
    if stray <= max(3, len(data) * STRAY_BYTES_PER_MB // 1_000_000):
        return text, stray
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise ValueError("not text (binary or unknown encoding)")
    return str(best), 0


def read_text(path: str, warn: Callable[[str], None] | None = None) -> str:
    """decode_text of the file; `warn(message)` hears how many bytes were replaced."""
    text, stray = decode_text(read_bytes(path))
    if stray and warn is not None:
        warn(f"{path}: {stray} byte{'s' if stray > 1 else ''} not valid UTF-8, replaced with U+FFFD")
    return text
