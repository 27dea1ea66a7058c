"""A crawl frontier shared by every worker through Redis: scrapy-redis, with what it lacks for cityfacts.

Turned on by the Scrapy setting CITYFACTS_FRONTIER (a redis:// URL; see
`frontier_settings`). Then every crawl process of a source pops from one
request queue, and every crawl process of any source checks one seen-set of
article requests, so a page is fetched once across workers, sources and
shards. What scrapy-redis 0.9.1 does not do, and this adds:

- **Run boundaries.** Keys persist while workers come and go
  (SCHEDULER_PERSIST: the first process to close must not wipe the queue
  others are using); `prepare_run` starts each run with new seen-sets, so
  list pages are read again each run, as in a local crawl.
- **At-least-once.** A request is recorded in the source's in-flight hash
  in the same step that takes it from the queue (`TAKE`). A list page
  leaves the hash once every request it led to is in the queue
  (`DoneMiddleware`, which queues them itself); an article stays until a
  new run finds its page stored. A worker killed mid-crawl loses the requests it held and
  the pages in its unstored spool; `prepare_run` carries over what is still
  queued, the list pages never finished and the articles the store does not
  have. (Re-discovery from the seeds alone would not do: paging stops at a
  list page whose articles are all stored.)
- **Workers wait for each other.** A worker whose queue is empty stays open
  while another worker of the source is busy (its heartbeat key is alive),
  since that one may still push requests.
- **No deprecation noise**: stats without the `spider` argument.

Seeds go through the seen-set too (ReportSpider marks them filterable when
the frontier is shared), so a second shard does not fetch the start pages
again. Politeness across workers is `SharedDelayMiddleware`.
"""
from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Request
from scrapy.utils.request import RequestFingerprinter
from scrapy_redis import picklecompat
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.scheduler import Scheduler

from crawlers import settings as default_settings

DEFAULT_PREFIX = "cityfacts"
HEARTBEAT_S = 30  # a worker that pops nothing for this long (or died) no longer keeps the others waiting
ARTICLE_CALLBACK = "parse_article"
TAKEN = "frontier_taken"  # request.meta: its key in the in-flight hash


def keys(prefix: str, source: str) -> dict[str, str]:
    """Every Redis key of one source's frontier (and the seen-set of articles all sources share)."""
    base = f"{prefix}:{source}"
    return {"queue": f"{base}:requests", "seen": f"{base}:seen", "inflight": f"{base}:inflight",
            "active": f"{base}:active", "articles": f"{prefix}:articles:seen"}


# Take the next request and record it as taken in one step: popped and then recorded, a kill -9 in between
# would lose it. The in-flight hash is keyed by a digest of the encoded request.
TAKE = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0)
if #top == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
local tag = redis.sha1hex(top[1])
redis.call('HSET', KEYS[2], tag, top[1])
return {tag, top[1]}
"""


def frontier_settings(redis_url: str, prefix: str = DEFAULT_PREFIX) -> dict[str, Any]:
    """Scrapy settings that route a crawl's requests through the shared frontier."""
    return {
        "CITYFACTS_FRONTIER": redis_url,
        "CITYFACTS_FRONTIER_PREFIX": prefix,
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawlers.frontier.SharedScheduler",
        "DUPEFILTER_CLASS": "crawlers.frontier.SharedDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",  # a sorted set: what TAKE pops
        "DOWNLOADER_MIDDLEWARES": {**default_settings.DOWNLOADER_MIDDLEWARES, "crawlers.frontier.SharedDelayMiddleware": 590},
        "SPIDER_MIDDLEWARES": {"crawlers.frontier.DoneMiddleware": 10},
    }


def is_article(request: Request) -> bool:
    cb = request.callback
    return getattr(cb, "__name__", cb) == ARTICLE_CALLBACK


def _source_name(spider: Any) -> str:
    return str(spider.source["name"])


class SharedDupeFilter(RFPDupeFilter):
    """Article requests are checked against the seen-set all sources share; list pages against their source's."""

    def __init__(self, server: Any, key: str, debug: bool = False, articles_key: str = "") -> None:
        super().__init__(server, key, debug)
        self.articles_key = articles_key or key
        self.fingerprinter = RequestFingerprinter()

    @classmethod
    def from_spider(cls, spider: Any) -> SharedDupeFilter:
        settings = spider.settings
        k = keys(settings.get("CITYFACTS_FRONTIER_PREFIX", DEFAULT_PREFIX), _source_name(spider))
        server = redis.Redis.from_url(settings["CITYFACTS_FRONTIER"])
        return cls(server, k["seen"], settings.getbool("DUPEFILTER_DEBUG"), k["articles"])

    def request_fingerprint(self, request: Request) -> str:
        return self.fingerprinter.fingerprint(request).hex()

    def request_seen(self, request: Request) -> bool:
        key = self.articles_key if is_article(request) else self.key
        return self.server.sadd(key, self.request_fingerprint(request)) == 0


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler with in-flight records, a heartbeat, and stats that do not warn."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedScheduler:
        instance = super().from_crawler(crawler)
        instance.crawler = crawler
        crawler.signals.connect(instance.spider_idle, signal=signals.spider_idle)
        return instance

    def open(self, spider: Any) -> Any:
        prefix = spider.settings.get("CITYFACTS_FRONTIER_PREFIX", DEFAULT_PREFIX)
        self.keys = keys(prefix, _source_name(spider))
        self.queue_key = self.keys["queue"]
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self.df = SharedDupeFilter.from_spider(spider)
        opened = super().open(spider)
        self._take = self.server.register_script(TAKE)
        return opened

    def close(self, reason: str) -> Any:
        self.server.hdel(self.keys["active"], self.worker)
        return super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        if not request.dont_filter and self.df.request_seen(request):
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        self.queue.push(request)
        return True

    def next_request(self) -> Request | None:
        taken = self._take(keys=[self.queue_key, self.keys["inflight"]])
        if not taken:
            return None
        tag, encoded = taken
        self.server.hset(self.keys["active"], self.worker, str(time.time()))
        request: Request = self.queue._decode_request(encoded)
        request.meta[TAKEN] = tag.decode() if isinstance(tag, bytes) else tag
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def others_busy(self) -> bool:
        now = time.time()
        beats = self.server.hgetall(self.keys["active"])
        return any(w.decode() != self.worker and now - float(t) < HEARTBEAT_S for w, t in beats.items())

    def spider_idle(self, spider: Any) -> None:
        """Idle here: stay open while the queue has requests or another worker of the source may add some."""
        self.server.hdel(self.keys["active"], self.worker)
        if len(self.queue) or self.others_busy():
            raise DontCloseSpider


class DoneMiddleware:
    """Spider middleware: a list page, feed or sitemap is done once every request it found is in the shared queue;
    then it leaves the in-flight hash (an article stays there until a new run sees it stored).

    It schedules those requests itself (`engine.crawl`, what Scrapy's scraper would do with them) instead of
    passing them on: Scrapy buffers a callback's output and schedules it a little later, so a page marked done
    when its output was merely handed on could lose every request it led to to a kill -9 in between (seen:
    the 50 articles and the next page of a list page, gone)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler  # Scrapy 2.19 no longer passes the spider to middleware methods
        self.server = redis.Redis.from_url(crawler.settings["CITYFACTS_FRONTIER"])
        self.prefix = crawler.settings.get("CITYFACTS_FRONTIER_PREFIX", DEFAULT_PREFIX)

    @classmethod
    def from_crawler(cls, crawler: Any) -> DoneMiddleware:
        return cls(crawler)

    def _pass(self, item: Any) -> bool:
        """Schedule a request now; True for what goes on to the scraper (items)."""
        if isinstance(item, Request):
            self.crawler.engine.crawl(item)
            return False
        return True

    def _done(self, response: Any, spider: Any) -> None:
        tag = response.meta.get(TAKEN)
        if tag and not is_article(response.request):
            k = keys(self.prefix, _source_name(spider or self.crawler.spider))
            self.server.hdel(k["inflight"], tag)

    def process_spider_output(self, response: Any, result: Iterable[Any], spider: Any = None) -> Iterator[Any]:
        for item in result:
            if self._pass(item):
                yield item
        self._done(response, spider)

    async def process_spider_output_async(self, response: Any, result: AsyncIterator[Any],
                                          spider: Any = None) -> AsyncIterator[Any]:
        async for item in result:
            if self._pass(item):
                yield item
        self._done(response, spider)


class SharedDelayMiddleware:
    """A source's download_delay per host across every worker: one Redis key per host, held for the delay.

    crawlers/run.py moves the delay here (CITYFACTS_SHARED_DELAY) and turns Scrapy's own delay and AutoThrottle
    off, so the key is taken as the request leaves. Requests that then wait for a free concurrency slot leave
    later than their key; with polite settings (a delay longer than a response takes) that does not happen."""

    def __init__(self, server: Any, prefix: str, delay: float) -> None:
        self.server = server
        self.prefix = prefix
        self.delay_ms = int(delay * 1000)

    @classmethod
    def from_crawler(cls, crawler: Any) -> SharedDelayMiddleware:
        s = crawler.settings
        return cls(redis.Redis.from_url(s["CITYFACTS_FRONTIER"]), s.get("CITYFACTS_FRONTIER_PREFIX", DEFAULT_PREFIX),
                   s.getfloat("CITYFACTS_SHARED_DELAY"))

    async def process_request(self, request: Request, spider: Any = None) -> None:
        if self.delay_ms <= 0:
            return None
        host = request.url.split("/")[2] if "://" in request.url else request.url
        key = f"{self.prefix}:polite:{host}"
        while not self.server.set(key, "1", nx=True, px=self.delay_ms):
            ttl = self.server.pttl(key)
            await asyncio.sleep(max(ttl, 10) / 1000)
        return None


def _describe(encoded: bytes, fingerprinter: RequestFingerprinter) -> tuple[str, str, str]:
    """(fingerprint, kind, url) of a queued request, without the spider its callbacks belong to."""
    d = picklecompat.loads(encoded)
    bare = Request(d["url"], method=d.get("method", "GET"), body=d.get("body") or b"")
    kind = "article" if d.get("callback") == ARTICLE_CALLBACK else "list"
    return fingerprinter.fingerprint(bare).hex(), kind, d["url"]


def prepare_run(server: Any, prefix: str, sources: Iterable[str], stored: Any) -> dict[str, int]:
    """Start a run: new seen-sets, and the work an interrupted run left carried over: requests still queued, list
    pages taken and never finished, article requests taken whose page the store does not have (`stored(url)`).
    A run that finished leaves none of these, so its successor starts from the seeds alone. Returns how many
    requests were carried over per source."""
    fingerprinter = RequestFingerprinter()
    carried: dict[str, int] = {}
    names = list(sources)
    server.delete(keys(prefix, names[0])["articles"] if names else f"{prefix}:articles:seen")
    for name in names:
        k = keys(prefix, name)
        taken = server.hvals(k["inflight"])
        queued = server.zrange(k["queue"], 0, -1, withscores=True)
        server.delete(k["queue"], k["seen"], k["inflight"], k["active"])
        n = 0
        for req, score in [(req, 0.0) for req in taken] + queued:
            fp, kind, url = _describe(req, fingerprinter)
            if kind == "article" and stored(url):
                continue
            if server.sadd(k["articles"] if kind == "article" else k["seen"], fp):
                server.zadd(k["queue"], {req: score})
                n += 1
        carried[name] = n
    return carried
