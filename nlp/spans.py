"""Spans of a document (places, organisations) looked up by offset, so per-figure rules stay linear.

Why: a figure's rules ask "which places start in this clause", "is this
place inside an organisation's name". Scanning every span of the document for
each figure made extraction quadratic in the length of figure-dense text
(issue 16); a sorted index answers each question in O(log n + what it returns).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class ByStart(Generic[T]):
    """Items with a start and an end offset, sorted by start."""

    def __init__(self, items: Sequence[T], start: Callable[[T], int], end: Callable[[T], int]) -> None:
        self.items = sorted(items, key=start)
        self.starts = [start(x) for x in self.items]
        self.ends = [end(x) for x in self.items]
        self._reach = list(accumulate(self.ends, max))  # furthest end of any item starting at or before i

    def __len__(self) -> int:
        return len(self.items)

    def starting(self, lo: int, hi: int) -> list[T]:
        """Items with lo <= start < hi, in order."""
        return self.items[bisect_left(self.starts, lo):bisect_left(self.starts, hi)]

    def within(self, lo: int, hi: int) -> list[T]:
        """Items lying wholly inside lo..hi (start >= lo and end <= hi), in order."""
        i, j = bisect_left(self.starts, lo), bisect_left(self.starts, hi + 1)
        return [x for x, e in zip(self.items[i:j], self.ends[i:j], strict=True) if e <= hi]

    def covers(self, start: int, end: int) -> bool:
        """Whether some item spans [start, end]: begins at or before start and ends at or after end."""
        i = bisect_right(self.starts, start)
        return i > 0 and self._reach[i - 1] >= end
