"""Money and dates as customers in Japan read them, in the active language: one formatter for
every page, message and document.

Dates read as Django's `date` filter writes them with DATE_FORMAT and DATETIME_FORMAT
(`portal/locale_formats`), which costs 15 to 20 µs a date: the dashboard shows about thirty.
Here each calendar day and each minute of the day is formatted once per language and
remembered; there are few of them (the same due dates and order days come back for every
customer). Times are on Tokyo's clock (`portal.dates`), as everywhere in the portal: the
site's time zone is Asia/Tokyo and no request changes it.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.utils import formats, translation
from django.utils.dateformat import time_format
from django.utils.translation import get_language

from portal.dates import in_tokyo


def format_money(amount: Decimal | int, currency: str = "JPY") -> str:
    """¥5,500 in English and 5,500円 in Japanese (yen has no minor unit).

    Other currencies keep two decimals and their code: 12.50 USD.
    """
    amount = Decimal(amount)
    sign = "-" if amount < 0 else ""
    if currency != "JPY":
        return f"{sign}{abs(amount):,.2f} {currency}"
    whole = f"{abs(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"
    if (get_language() or "en").startswith("ja"):
        return f"{sign}{whole}円"
    return f"{sign}¥{whole}"


def format_day(day: date) -> str:
    """Dec. 7, 2026 / 2026年12月7日 (DATE_FORMAT); of a datetime, its day in Tokyo."""
    if isinstance(day, datetime):
        day = in_tokyo(day).date()
    return _day(day, _language())


def format_day_and_time(moment: datetime) -> str:
    """Dec. 7, 2026, 9:53 p.m. / 2026年12月7日 21:53 (DATETIME_FORMAT), on Tokyo's clock."""
    moment = in_tokyo(moment)
    language = _language()
    return _day(moment.date(), language) + _time_of_day(moment.hour, moment.minute, language)


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


@functools.lru_cache(maxsize=4096)
def _day(day: date, language: str) -> str:
    with translation.override(language):
        return formats.date_format(day, "DATE_FORMAT")


@functools.lru_cache(maxsize=4096)
def _time_of_day(hour: int, minute: int, language: str) -> str:
    """What DATETIME_FORMAT writes after the day (", 9:53 p.m." / " 21:53")."""
    with translation.override(language):
        day_format, both = formats.get_format("DATE_FORMAT"), formats.get_format("DATETIME_FORMAT")
    rest = both.removeprefix(day_format)
    # Remembered by the minute: a format that starts elsewhere, shows seconds or a zone is not.
    if rest == both or set(rest) & set("suveOTZ"):
        raise ValueError(f"DATETIME_FORMAT {both!r} is not DATE_FORMAT and a minute.")
    with translation.override(language):
        return time_format(time(hour, minute), rest)


def sentence(text: str) -> str:
    """One full stop where a sentence ends on an abbreviation: "until Dec. 8, 2026, 9 a.m.",
    not "9 a.m.." (English times end with one). An ellipsis stays as it is."""
    if text.endswith("..") and not text.endswith("..."):
        return text[:-1]
    return text
