"""Running the same work in many threads at once, each with its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection

T = TypeVar("T")

THREADS = 24


def run_at_once(work: Callable[[], T], threads: int = THREADS) -> list[T]:
    """Run `work` in `threads` threads released together; each thread uses its own connection."""
    barrier = threading.Barrier(threads)

    def worker() -> T:
        try:
            barrier.wait(timeout=30)
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(worker) for _ in range(threads)]
        return [future.result(timeout=60) for future in futures]
