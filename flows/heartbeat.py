"""A shard's heartbeat in Redis, so whoever waits for a distributed run can tell a lost worker from a slow one.

Prefect has no word for a flow run whose process vanished (kill -9, a lost
machine): it stays Running. The shard's flow keeps this key alive while it
crawls, loads and extracts; `flows.distributed.wait` marks a running shard
whose key has been gone too long as Crashed.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

BEAT_S = 5  # heartbeat interval; the key lives for three beats


def heartbeat_key(prefix: str, run_id: str) -> str:
    return f"{prefix}:heartbeat:{run_id}"


@contextmanager
def heartbeat(redis_url: str, prefix: str, run_id: str) -> Iterator[None]:
    """Keep this shard's heartbeat key alive while the block runs (crawl, load and extraction)."""
    import redis

    server = redis.Redis.from_url(redis_url)
    stop = threading.Event()
    key = heartbeat_key(prefix, run_id)

    def beat() -> None:
        while not stop.is_set():
            try:
                server.set(key, str(time.time()), ex=3 * BEAT_S)
            except redis.RedisError:
                pass  # Redis away for a moment: the submitter may count this shard lost, the next run recovers
            stop.wait(BEAT_S)

    thread = threading.Thread(target=beat, name="cityfacts-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(2)
        try:
            server.delete(key)
        except redis.RedisError:
            pass
