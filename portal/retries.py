"""How tasks retry, in Celery's own terms: its autoretry options and its backoff.

`retry_policy` gives a task's decorator Celery's `autoretry_for` / `retry_backoff` /
`retry_jitter` / `max_retries`. A task that must decide per error (or count its own
attempts) retries by hand with `backoff`, which is Celery's exponential interval.
`retry_window` is how long a task may be at work with its retries, after which the outbox
takes it as lost.
"""

from __future__ import annotations

import random
from datetime import timedelta
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


# One attempt's own running time, at most, for tasks that do not say otherwise: the work
# of a task here takes seconds.
ATTEMPT_ALLOWANCE = timedelta(minutes=5)


def backoff_window(*, base: int, maximum: int, retries: int) -> timedelta:
    """The longest `retries` retries can wait in all, `base` seconds doubling up to `maximum`,
    with one attempt's allowance: a task's retry window."""
    waits = sum(
        get_exponential_backoff_interval(factor=base, retries=retry, maximum=maximum)
        for retry in range(retries)
    )
    return timedelta(seconds=waits) + ATTEMPT_ALLOWANCE


def retry_window(task: Any) -> timedelta:
    """How long after an attempt starts a task can still be at work, its own retries
    included: past it, a task that has not finished was lost (outbox.services).

    A task that retries by hand says so (`retry_window=` on its decorator); one with Celery's
    autoretry options has it worked out from them; any other gets one attempt's allowance.
    """
    declared = getattr(task, "retry_window", None)
    if declared is not None:
        return declared
    if getattr(task, "autoretry_for", None) and getattr(task, "retry_backoff", False):
        base = 1 if task.retry_backoff is True else int(task.retry_backoff)
        return backoff_window(
            base=base,
            maximum=int(getattr(task, "retry_backoff_max", 600)),
            retries=int(task.max_retries or 0),
        )
    return ATTEMPT_ALLOWANCE
