"""Downloader middlewares: retries that back off, redirects that notice loops.

Scrapy's RetryMiddleware retries 429/5xx and connection errors at once; a
struggling server deserves a pause. This one schedules each retry no sooner
than `RETRY_BACKOFF_BASE * 2**(n-1)` seconds (capped by RETRY_BACKOFF_MAX),
or the server's Retry-After when it gives one, and waits asynchronously in
process_request so other domains keep crawling meanwhile.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        result = super().process_response(request, response)
        if result is not response and response.status in (429, 503):
            after = response.headers.get(b"Retry-After")
            if after and after.strip().isdigit():
                result.meta["cityfacts_not_before"] = time.monotonic() + min(float(after), self.cap)
        return result

    def _retry(self, request: Any, reason: Any) -> Any:
        new = super()._retry(request, reason)
        if new is not None:
            n = new.meta.get("retry_times", 1)
            new.meta["cityfacts_not_before"] = time.monotonic() + min(self.base * 2 ** (n - 1), self.cap)
        return new

    async def process_request(self, request: Any, spider: Any = None) -> None:
        not_before = request.meta.get("cityfacts_not_before")
        if not_before:
            delay = not_before - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        return None


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    """Report a redirect that comes back to a URL already visited in its chain.

    Scrapy's duplicate filter would drop such a request silently, so a page
    that only ever redirects to itself would vanish without a failure record.
    """

    def _redirect(self, redirected: Any, request: Any, reason: Any) -> Any:
        chain = {*request.meta.get("redirect_urls", []), request.url}
        if redirected.url in chain:
            raise IgnoreRequest(f"redirect loop back to {redirected.url}")
        spider = self.crawler.spider
        if hasattr(spider, "note_alias"):
            # Recorded here because the duplicate filter may drop the redirected request silently.
            spider.note_alias(request.url, redirected.url)
        return super()._redirect(redirected, request, reason)
