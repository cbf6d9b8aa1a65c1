"""Refunds racing each other on a real database (PostgreSQL): never more than was paid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.models import Payment, PaymentStatus, Refund
from billing.processor import TestPaymentProcessor
from billing.services.refunds import refund_payment
from portal.api_errors import ApplicationError
from tests.billing.test_refunds import make_paid_payment
from tests.notifications.concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_ledger():
    TestPaymentProcessor.refunds.clear()
    yield
    TestPaymentProcessor.refunds.clear()


def _attempt(payment, staff_user, amount, key):
    def refund() -> str:
        try:
            refund_payment(
                payment_id=payment.pk,
                amount=Decimal(amount),
                reason="Refund",
                actor=staff_user,
                idempotency_key=key(),
            )
        except ApplicationError as error:
            return error.code
        return "refunded"

    return refund


def test_concurrent_refunds_never_exceed_the_payment(customer, staff_user):
    payment = make_paid_payment(customer, total="6930")
    counter = iter(range(1000))
    outcomes = run_at_once(
        _attempt(payment, staff_user, "3000", lambda: f"k{next(counter)}"), threads=6
    )
    assert sorted(outcomes).count("refunded") == 2
    assert sum(Refund.objects.values_list("amount", flat=True)) == Decimal("6000")
    assert len(TestPaymentProcessor.refunds) == 2
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.PARTIALLY_REFUNDED


def test_the_same_key_at_once_is_one_refund(customer, staff_user):
    payment = make_paid_payment(customer, total="6930")
    outcomes = run_at_once(_attempt(payment, staff_user, "6930", lambda: "one"), threads=6)
    assert set(outcomes) == {"refunded"}
    assert Refund.objects.count() == 1
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED
    assert Payment.objects.get(pk=payment.pk).invoice.status == "refunded"
