"""How tasks retry, in Celery's own terms: its autoretry options and its backoff.

`retry_policy` gives a task's decorator Celery's `autoretry_for` / `retry_backoff` /
`retry_jitter` / `max_retries`. A task that must decide per error (or count its own
attempts) retries by hand with `backoff`, which is Celery's exponential interval.
"""

from __future__ import annotations

import random
from typing import Any

from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

# A lost connection, a restart or a failover is worth another try; anything else is a bug.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def retry_policy(
    *,
    backoff: int,
    backoff_max: int,
    max_retries: int,
    retry_on: tuple[type[Exception], ...] = DATABASE_ERRORS,
) -> dict[str, Any]:
    """Options for `@shared_task`: retry `retry_on` errors, `backoff` seconds doubling up to
    `backoff_max`, with Celery's full jitter, at most `max_retries` times."""
    return {
        "autoretry_for": retry_on,
        "retry_backoff": backoff,
        "retry_backoff_max": backoff_max,
        "retry_jitter": True,
        "max_retries": max_retries,
    }


def backoff(retries: int, *, base: int, maximum: int, jitter: bool = True) -> int:
    """Seconds before the next attempt: `base` doubling with each retry, at most `maximum`.

    The jitter is "equal jitter" (between half the interval and all of it), not Celery's
    full jitter, so a task that failed together with many others neither comes back at
    once nor all at the same moment.
    """
    ceiling = get_exponential_backoff_interval(factor=base, retries=retries, maximum=maximum)
    if not jitter:
        return ceiling
    return ceiling // 2 + random.randint(0, ceiling // 2)
