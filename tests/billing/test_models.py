from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from billing.models import Invoice, PaymentMethod, billing_today

TODAY = date(2026, 11, 24)


def test_billing_today_is_the_date_in_japan():
    # 16:30 UTC on the 24th is already the 25th in Tokyo.
    assert billing_today(datetime(2026, 11, 24, 16, 30, tzinfo=ZoneInfo("UTC"))) == date(
        2026, 11, 25
    )


@pytest.mark.parametrize(
    ("status", "due_date", "overdue"),
    [
        ("unpaid", date(2026, 11, 23), True),
        ("unpaid", TODAY, False),
        ("unpaid", date(2026, 11, 25), False),
        ("paid", date(2026, 10, 1), False),
        ("cancelled", date(2026, 10, 1), False),
    ],
)
def test_an_invoice_is_overdue_only_when_unpaid_after_its_due_date(status, due_date, overdue):
    assert Invoice(status=status, due_date=due_date).is_overdue(today=TODAY) is overdue


@pytest.mark.parametrize(
    ("exp_month", "exp_year", "expired", "expires_soon"),
    [
        (10, 2026, True, True),
        (11, 2026, False, True),
        (12, 2026, False, True),
        (1, 2027, False, False),
        (11, 2030, False, False),
        (None, None, False, False),
    ],
)
def test_a_card_expires_soon_when_it_stops_working_before_the_end_of_next_month(
    exp_month, exp_year, expired, expires_soon
):
    method = PaymentMethod(exp_month=exp_month, exp_year=exp_year)
    assert method.is_expired(today=TODAY) is expired
    assert method.expires_soon(today=TODAY) is expires_soon


def test_january_is_next_month_in_december():
    assert PaymentMethod(exp_month=1, exp_year=2027).expires_soon(today=date(2026, 12, 5))
