"""`manage.py run_job NAME [--at MOMENT]`: run a periodic job as beat would at that moment.

For catching up after an outage (the billing run of a 1st that was missed) and for walking
a month in tests and demos. `--list` names every job with its beat schedule.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from celery.schedules import crontab
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal.jobs import did_nothing, get_job, registered_jobs


def parse_moment(value: str) -> datetime:
    """An ISO 8601 moment with its offset (2027-01-01T06:00+09:00); Z is UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            f"--at {value!r} is not an ISO 8601 moment, e.g. 2027-01-01T06:00:00+09:00."
        ) from error
    if moment.tzinfo is None:
        raise CommandError(f"--at {value!r} needs its offset, e.g. 2027-01-01T06:00:00+09:00.")
    return moment


def describe_schedule(schedule: Any) -> str:
    """ "cron 0 6 1 * *" (minute, hour, day of month, month, weekday; Tokyo) or "every 60 s"."""
    if isinstance(schedule, crontab):
        fields = (
            schedule._orig_minute,
            schedule._orig_hour,
            schedule._orig_day_of_month,
            schedule._orig_month_of_year,
            schedule._orig_day_of_week,
        )
        return "cron " + " ".join(str(field) for field in fields)
    if isinstance(schedule, (int, float)):
        return f"every {schedule:g} s"
    return str(schedule)


def _schedules() -> dict[str, str]:
    """Each task's beat schedule."""
    return {
        entry["task"]: describe_schedule(entry["schedule"])
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


class Command(BaseCommand):
    help = "Run a periodic job as beat would at a moment (--at, default now); --list names them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", nargs="?", help="The job (see --list).")
        parser.add_argument(
            "--at",
            help="The moment to run it for, ISO 8601 with offset: 2027-01-01T06:00:00+09:00.",
        )
        parser.add_argument("--list", action="store_true", help="Name every job and stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            schedules = _schedules()
            for listed in registered_jobs():
                schedule = schedules.get(listed.task, "not on beat")
                self.stdout.write(f"{listed.name:<36}{schedule:<22}{listed.description}")
            return
        name = options["name"]
        if not name:
            raise CommandError("Name a job, or see them with --list.")
        job = get_job(name)
        if job is None:
            known = ", ".join(each.name for each in registered_jobs())
            raise CommandError(f"There is no job {name!r}. The jobs: {known}.")
        now = parse_moment(options["at"]) if options["at"] else timezone.now()
        result = job.run(now)
        summary = "nothing to do" if did_nothing(result) else json.dumps(result, default=str)
        self.stdout.write(f"{job.name} at {now.isoformat()}: {summary}")
