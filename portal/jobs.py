"""The periodic jobs, by name: what beat runs, and what `manage.py run_job NAME --at` runs.

Each app declares its jobs in its own `jobs.py` (found and imported on first use, as the
sweeps are), so this module imports no app. A job is a service called with `now=`: run by
hand for a moment, it does what beat would have done at that moment (catching up after an
outage, walking a month in a test or a demo). Every job is safe to run again for the same
moment: the second run finds nothing left to do.

Beat's table (`CELERY_BEAT_SCHEDULE`) names each job's task, and a test holds the two in
step: every beat entry runs a registered job's task, and every job is on beat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Job:
    # The name `run_job` takes (snake_case).
    name: str
    # One line for `run_job --list`.
    description: str
    # The registered name of the Celery task beat runs, which calls `run` with the current time.
    task: str
    # Does the job as at `now`; returns what it did (a count, or counts by kind) for the log.
    run: Callable[[datetime], Any]


_jobs: dict[str, Job] = {}
_discovered = False


def register(job: Job) -> Job:
    if job.name in _jobs and _jobs[job.name] != job:
        raise ValueError(f"Two jobs are called {job.name!r}.")
    _jobs[job.name] = job
    return job


def _discover() -> None:
    global _discovered
    if not _discovered:
        autodiscover_modules("jobs")
        _discovered = True


def registered_jobs() -> list[Job]:
    _discover()
    return sorted(_jobs.values(), key=lambda job: job.name)


def get_job(name: str) -> Job | None:
    _discover()
    return _jobs.get(name)


def did_nothing(result: Any) -> bool:
    """True when a job's result says it found nothing to do (0, None, or only zeros)."""
    if isinstance(result, dict):
        return all(did_nothing(value) for value in result.values())
    return not result
