"""Item pipeline: every record the spider yields (pages, failures, aliases) goes to the run's spool."""
from __future__ import annotations

from typing import Any

from crawlers.spool import Alias, Failure, Page, SpoolWriter, Summary


class SpoolPipeline:
    def __init__(self, path: str) -> None:
        self.path = path
        self.writer: SpoolWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> SpoolPipeline:
        return cls(crawler.settings.get("CITYFACTS_SPOOL", "spool.jsonl"))

    def open_spider(self, spider: Any = None) -> None:
        self.writer = SpoolWriter(self.path)

    def close_spider(self, spider: Any = None) -> None:
        if self.writer is not None:
            self.writer.close()

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, Page | Failure | Alias | Summary):
            raise TypeError(f"not a spool record: {type(item).__name__}")
        assert self.writer is not None
        self.writer.write(item)
        return item
