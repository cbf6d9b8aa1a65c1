"""Calendar rules in Japan: today's date in Tokyo and whole-month arithmetic.

Due dates, card expiry months and month-end cancellations are dates in Japan, wherever the
server runs, so every "today" the rules compare with comes from here.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.utils import timezone

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo_today(*, now: datetime | None = None) -> date:
    """The calendar day in Tokyo at `now` (the current time when it is not given)."""
    return timezone.localtime(now or timezone.now(), TOKYO).date()


def in_tokyo(moment: datetime) -> datetime:
    """`moment` on Tokyo's clock (a naive one is taken to be on it already)."""
    return moment.astimezone(TOKYO) if moment.tzinfo is not None else moment


def start_of_day(day: date) -> datetime:
    """Midnight in Tokyo at the start of `day`."""
    return datetime.combine(day, time.min, tzinfo=TOKYO)


def add_months(year: int, month: int, months: int) -> tuple[int, int]:
    """The (year, month) `months` whole months after (year, month); negative goes back."""
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def next_month(year: int, month: int) -> tuple[int, int]:
    return add_months(year, month, 1)


def months_between(start: tuple[int, int], end: tuple[int, int]) -> int:
    """Whole months from the (year, month) `start` to `end`: 0 for the same month."""
    return (end[0] - start[0]) * 12 + (end[1] - start[1])


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
