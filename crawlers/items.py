"""What the spider yields: one fetched report page, raw bytes kept."""
from __future__ import annotations

import scrapy


class PageItem(scrapy.Item):
    url = scrapy.Field()
    source = scrapy.Field()
    lang = scrapy.Field()
    status = scrapy.Field()
    content_type = scrapy.Field()
    fetched_at = scrapy.Field()
    body = scrapy.Field()  # raw bytes as received
