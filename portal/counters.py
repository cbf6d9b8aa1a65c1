"""Counters and one-time claims for throttles, kept in the shared cache and never failing
a request because the cache is down.

The shared cache is Redis in production. When it does not answer, a counter falls back to
this process's memory (and the shared cache is left alone for a few seconds, so a dead
Redis costs no time on every request). Each process then counts on its own: a limit of N
becomes at most N per process until Redis is back. A throttle never locks everybody out
and never lets anybody try without limit (docs/decisions.md, "Throttles without Redis").
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How long the shared cache is skipped after it failed: short, since each try is cheap.
SHARED_CACHE_RETRY_SECONDS = 5.0

_local = LocMemCache("portal-counters", {"MAX_ENTRIES": 100_000})
_state = threading.local()
_lock = threading.Lock()
_shared_down_until = 0.0


def _shared_is_down() -> bool:
    return time.monotonic() < _shared_down_until


def _mark_shared_down(error: BaseException) -> None:
    global _shared_down_until
    with _lock:
        already = _shared_is_down()
        _shared_down_until = time.monotonic() + SHARED_CACHE_RETRY_SECONDS
    if not already:
        logger.warning("The shared cache is not answering; counting in this process: %s", error)


def reset_fallback() -> None:
    """Forget the process's own counts and try the shared cache again (tests, shell)."""
    global _shared_down_until
    _local.clear()
    _shared_down_until = 0.0


def _run(operation: Callable[[BaseCache], T]) -> T:
    if not _shared_is_down():
        try:
            return operation(cache)
        except (RedisError, OSError) as error:
            _mark_shared_down(error)
    return operation(_local)


def _increment(store: BaseCache, key: str, window: int) -> int:
    # add() then incr(): both atomic in every backend, so concurrent callers each get their
    # own number, and the window starts at the first count.
    if store.add(key, 1, timeout=window):
        return 1
    try:
        return int(store.incr(key))
    except ValueError:  # expired between add() and incr(): a new window starts here
        store.add(key, 1, timeout=window)
        return 1


def count(key: str, *, window: int) -> int:
    """Add one to `key` (kept `window` seconds from its first count) and return the total."""
    return _run(lambda store: _increment(store, key, window))


def peek(key: str) -> int:
    """The count of `key` without changing it."""
    return int(_run(lambda store: store.get(key)) or 0)


def uncount(key: str) -> None:
    """Take back one count (an attempt that turned out not to be a failure)."""

    def decrement(store: BaseCache) -> None:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
            store.decr(key)

    _run(decrement)


def extend(key: str, *, timeout: int) -> None:
    """Keep `key` for `timeout` seconds from now (a count that should outlive its window)."""
    _run(lambda store: store.touch(key, timeout=timeout))


def remember(key: str, value: float, *, timeout: int) -> None:
    """Keep a number (a deadline, say) for `timeout` seconds."""
    _run(lambda store: store.set(key, value, timeout=timeout))


def recall(key: str) -> float | None:
    """The number kept under `key`, or None."""
    value = _run(lambda store: store.get(key))
    return None if value is None else float(value)


def forget(key: str) -> None:
    _run(lambda store: store.delete(key))


def claim(key: str, *, timeout: int) -> bool:
    """True for the first caller within `timeout` seconds, False for everyone after."""
    return bool(_run(lambda store: store.add(key, 1, timeout=timeout)))
