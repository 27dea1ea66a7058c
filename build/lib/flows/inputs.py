"""Reading the files a user names on the command line: plain text in any encoding, or raw page bytes."""
from __future__ import annotations

import sys
from pathlib import Path


def read_bytes(path: str) -> bytes:
    """The file's bytes, or standard input's for `-`."""
    return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()


def read_text(path: str) -> str:
    """UTF-8 (with or without BOM), else the encoding charset-normalizer finds; ValueError for binary data."""
    data = read_bytes(path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data).best()
        if best is None:
            raise ValueError("not text (binary or unknown encoding)") from None
        return str(best)
