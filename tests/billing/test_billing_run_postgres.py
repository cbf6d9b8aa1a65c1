"""The billing run on a real database (PostgreSQL): the constraint that bills a month once,
two runs of the same month at once, and invoice numbers taken at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from billing.models import BillingRun, BillingRunStatus, Invoice
from billing.services.numbering import take_invoice_numbers
from billing.services.run import run_billing
from notifications.models import Notification
from portal.dates import TOKYO
from tests.factories import CustomerFactory, InvoiceFactory, PlanFactory, SubscriptionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 12, 1, 6, 0, tzinfo=TOKYO)


def _race(calls: list[Callable[[], object]]) -> tuple[list[object], list[Exception]]:
    """Run the calls at the same moment, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = []
    errors: list[Exception] = []

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results.append(call())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_the_database_refuses_a_second_monthly_invoice_for_the_same_month(customer):
    month = {"kind": "monthly", "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
    InvoiceFactory(customer=customer, **month)
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(customer=customer, **month)
    # One-off invoices and other months are not limited.
    InvoiceFactory(customer=customer)
    InvoiceFactory(customer=customer)
    InvoiceFactory(
        customer=customer,
        kind="monthly",
        period_start=date(2026, 12, 1),
        period_end=date(2026, 12, 31),
    )
    assert Invoice.objects.filter(customer=customer).count() == 4


def test_a_monthly_invoice_without_its_period_is_refused(customer):
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(customer=customer, kind="monthly")
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceFactory(customer=customer, period_start=date(2026, 11, 1))


def test_two_runs_of_the_same_month_at_once_bill_everyone_once_with_gapless_numbers():
    plan = PlanFactory(monthly_price=Decimal("5280"))
    customers = CustomerFactory.create_batch(12)
    for customer in customers:
        SubscriptionFactory(
            customer=customer, plan=plan, activated_at=datetime(2026, 10, 1, tzinfo=TOKYO)
        )
    results, errors = _race([lambda: run_billing(now=NOW, chunk_size=2)] * 2)
    assert errors == []
    assert sum(outcome.invoices_created for outcome in results) == 12
    invoices = Invoice.objects.filter(kind="monthly")
    assert sorted(invoices.values_list("customer_id", flat=True)) == [c.pk for c in customers]
    assert sorted(invoices.values_list("number", flat=True)) == [
        f"INV-2026-{n:06d}" for n in range(1, 13)
    ]
    run = BillingRun.objects.get()
    assert (run.status, run.invoices_created, run.customers_done) == (
        BillingRunStatus.COMPLETED,
        12,
        12,
    )
    assert Notification.objects.filter(type="INVOICE_ISSUED").count() == 12


def test_numbers_taken_at_once_in_a_new_year_are_all_different_and_gapless():
    InvoiceFactory(number="INV-2027-000007")

    def take() -> list[str]:
        with transaction.atomic():
            return take_invoice_numbers(year=2027, count=3)

    results, errors = _race([take] * 4)
    assert errors == []
    taken = sorted(number for numbers in results for number in numbers)
    assert taken == [f"INV-2027-{n:06d}" for n in range(8, 20)]


def test_numbers_of_a_transaction_that_rolled_back_are_given_out_again():
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        assert take_invoice_numbers(year=2027, count=2) == ["INV-2027-000001", "INV-2027-000002"]
        raise Abandoned
    with transaction.atomic():
        assert take_invoice_numbers(year=2027, count=1) == ["INV-2027-000001"]
