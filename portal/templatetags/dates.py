"""`{% load dates %}`: dates and times as the pages write them, in the reader's language.

- `{{ invoice.due_date|day }}`: "Dec. 7, 2026" / "2026年12月7日" (DATE_FORMAT)
- `{{ order.created_at|day_and_time }}`: "Dec. 7, 2026, 9:53 p.m." / "2026年12月7日 21:53"
  (DATETIME_FORMAT)
- `{{ order.created_at|iso }}`: "2026-12-07T21:53:44+09:00", for `<time datetime>`

The same text as Django's `date` filter with those formats and "c" (datetimes on Tokyo's
clock, the site's time zone), at a fraction of the cost (`portal.formats`). They take the
value as it is and put it on Tokyo's clock themselves, rather than have the template ask
for the active time zone first (`expects_localtime`).
"""

from __future__ import annotations

from datetime import date, datetime

from django import template

from portal.dates import in_tokyo
from portal.formats import format_day, format_day_and_time

register = template.Library()


@register.filter
def day(value: date | None) -> str:
    if value is None or value == "":
        return ""
    return format_day(value)


@register.filter
def day_and_time(value: datetime | None) -> str:
    if value is None or value == "":
        return ""
    return format_day_and_time(value)


@register.filter
def iso(value: date | None) -> str:
    if value is None or value == "":
        return ""
    return (in_tokyo(value) if isinstance(value, datetime) else value).isoformat()
