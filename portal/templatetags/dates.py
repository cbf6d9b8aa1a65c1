"""`{% load dates %}`: dates and times as the pages write them, in the reader's language.

- `{{ invoice.due_date|day }}`: "Dec. 7, 2026" / "2026年12月7日" (DATE_FORMAT)
- `{{ order.created_at|day_and_time }}`: "Dec. 7, 2026, 9:53 p.m." / "2026年12月7日 21:53"
  (DATETIME_FORMAT)
- `{{ order.created_at|iso }}`: "2026-12-07T21:53:44+09:00", for `<time datetime>`

The same text as Django's `date` filter with those formats and "c" (datetimes in the
current time zone, Tokyo), at a fraction of the cost (`portal.formats`).
"""

from __future__ import annotations

from datetime import date, datetime

from django import template

from portal.formats import format_day, format_day_and_time

register = template.Library()


@register.filter(expects_localtime=True)
def day(value: date | None) -> str:
    if value is None or value == "":
        return ""
    return format_day(value)


@register.filter(expects_localtime=True)
def day_and_time(value: datetime | None) -> str:
    if value is None or value == "":
        return ""
    return format_day_and_time(value)


@register.filter(expects_localtime=True)
def iso(value: date | None) -> str:
    if value is None or value == "":
        return ""
    return value.isoformat()
