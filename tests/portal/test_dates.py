from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from portal.dates import add_months, month_end, months_between, next_month, tokyo_today


def test_today_is_the_date_in_japan():
    # 16:30 UTC on the 24th is already the 25th in Tokyo.
    assert tokyo_today(now=datetime(2026, 11, 24, 16, 30, tzinfo=ZoneInfo("UTC"))) == date(
        2026, 11, 25
    )


def test_january_follows_december():
    assert next_month(2026, 12) == (2027, 1)
    assert next_month(2026, 11) == (2026, 12)


@pytest.mark.parametrize(
    ("months", "expected"),
    [(0, (2026, 11)), (2, (2027, 1)), (14, (2028, 1)), (-11, (2025, 12))],
)
def test_months_are_added_across_years(months, expected):
    assert add_months(2026, 11, months) == expected
    assert months_between((2026, 11), expected) == months


def test_the_month_end_knows_leap_years():
    assert month_end(2028, 2) == date(2028, 2, 29)
    assert month_end(2026, 2) == date(2026, 2, 28)
    assert month_end(2026, 12) == date(2026, 12, 31)
