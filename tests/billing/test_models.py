from __future__ import annotations

from datetime import date

import pytest

from billing.models import Invoice, PaymentMethod, PaymentMethodType
from tests.factories import CustomerFactory, InvoiceFactory, PaymentMethodFactory

TODAY = date(2026, 11, 24)


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


@pytest.mark.django_db
def test_the_overdue_query_agrees_with_the_invoice():
    customer = CustomerFactory()
    invoices = [
        InvoiceFactory(customer=customer, status=status, due_date=due_date)
        for status in ("unpaid", "paid", "cancelled", "refunded")
        for due_date in (date(2026, 11, 23), TODAY, date(2026, 11, 25))
    ]
    assert set(Invoice.objects.overdue(today=TODAY)) == {
        invoice for invoice in invoices if invoice.is_overdue(today=TODAY)
    }


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


@pytest.mark.django_db
@pytest.mark.parametrize("today", [TODAY, date(2026, 12, 31), date(2027, 1, 1)])
def test_the_expiry_queries_agree_with_the_payment_method(today):
    customer = CustomerFactory()
    methods = [
        PaymentMethodFactory(customer=customer, exp_month=month, exp_year=year)
        for year in (2025, 2026, 2027, 2028)
        for month in range(1, 13)
    ]
    methods.append(
        PaymentMethodFactory(
            customer=customer, type=PaymentMethodType.BANK_ACCOUNT, exp_month=None, exp_year=None
        )
    )
    assert set(PaymentMethod.objects.expiring_soon(today=today)) == {
        method
        for method in methods
        if method.expires_soon(today=today) and not method.is_expired(today=today)
    }
    assert set(PaymentMethod.objects.lasting(today=today)) == {
        method for method in methods if not method.expires_soon(today=today)
    }
