"""Downloader middlewares: retries that back off, redirects that notice loops.

Scrapy's RetryMiddleware retries 429/5xx and connection errors at once; a
struggling server deserves a pause. This one schedules each retry no sooner
than `RETRY_BACKOFF_BASE * 2**(n-1)` seconds (capped by RETRY_BACKOFF_MAX),
or the server's Retry-After when it gives one, and waits asynchronously in
process_request so other domains keep crawling meanwhile. Both extend only
the public middleware methods, so a Scrapy upgrade cannot break them
silently.
"""
from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest

NOT_BEFORE = "cityfacts_not_before"


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.cap = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    def _pause(self, retry: Any, response: Any = None) -> Any:
        """Stamp a retry request with when it may go: the server's Retry-After, else exponential backoff."""
        if not isinstance(retry, Request):
            return retry
        delay = min(self.base * 2 ** (retry.meta.get("retry_times", 1) - 1), self.cap)
        after = response.headers.get(b"Retry-After") if response is not None and response.status in (429, 503) else None
        if after and after.strip().isdigit():
            delay = min(float(after), self.cap)
        retry.meta[NOT_BEFORE] = time.monotonic() + delay
        return retry

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        result = super().process_response(request, response)
        return response if result is response else self._pause(result, response)

    def process_exception(self, request: Any, exception: Exception, spider: Any = None) -> Any:
        return self._pause(super().process_exception(request, exception))

    async def process_request(self, request: Any, spider: Any = None) -> None:
        not_before = request.meta.get(NOT_BEFORE)
        if not_before:
            delay = not_before - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        return None


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    """Redirects that end badly are failures, named by the link the site listed.

    Scrapy's duplicate filter would drop a redirect back into its own chain
    silently, so a page that only ever redirects to itself would vanish
    without a failure record: that is reported as a loop. Other redirects
    bypass the duplicate filter (a link that redirects to a page already
    fetched in this crawl must still arrive, so the spider can record it as an
    alias of that page), and so would bypass Scrapy's off-site filter too:
    a redirect to a host outside the source's `allowed_domains` is refused
    here, as a failure the next run tries again.
    """

    def process_response(self, request: Any, response: Any, spider: Any = None) -> Any:
        result = super().process_response(request, response)
        if isinstance(result, Request) and result is not request:
            chain = {*request.meta.get("redirect_urls", []), request.url}
            if result.url in chain:
                raise IgnoreRequest(f"redirect loop back to {result.url}")
            # The host, as Scrapy's offsite filter matches it (scrapy.utils.url.url_is_from_any_domain would
            # compare the port too, and refuse a redirect within one host:port site).
            host = urlsplit(result.url).hostname or ""
            allowed = getattr(self.crawler.spider, "allowed_domains", None) or []
            if allowed and not any(host == d or host.endswith("." + d) for d in allowed):
                raise IgnoreRequest(f"redirected off the site to {host} (not in allowed_domains)")
            result = result.replace(dont_filter=True)
        return result
