"""Payment method changes racing each other on a real database (PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from billing.models import PaymentMethod
from billing.services.payment_methods import add_payment_method, remove_payment_method
from portal.api_errors import ApplicationError
from tests.factories import PaymentMethodFactory, SubscriptionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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
        thread.join(timeout=30)
    return results, errors


def test_first_cards_added_at_once_leave_exactly_one_default(customer):
    tokens = ["tok_visa", "tok_mastercard", "tok_jcb", "tok_amex", "tok_bank_account"]
    _, errors = _race(
        [lambda token=token: add_payment_method(customer=customer, token=token) for token in tokens]
    )
    assert errors == []
    methods = PaymentMethod.objects.filter(customer=customer)
    assert methods.count() == len(tokens)
    assert methods.filter(is_default=True).count() == 1


def test_one_token_sent_many_times_at_once_stores_one_method(customer):
    results, errors = _race([lambda: add_payment_method(customer=customer, token="tok_visa")] * 6)
    assert errors == []
    assert PaymentMethod.objects.filter(customer=customer).count() == 1
    assert sum(result.created for result in results) == 1  # type: ignore[attr-defined]


def test_removing_both_methods_at_once_keeps_one_for_an_active_service(customer):
    SubscriptionFactory(customer=customer, status="active")
    first = PaymentMethodFactory(customer=customer, is_default=True)
    second = PaymentMethodFactory(customer=customer)
    _, errors = _race(
        [
            lambda method=method: remove_payment_method(
                customer=customer, payment_method_id=method.pk
            )
            for method in (first, second)
        ]
    )
    assert len(errors) == 1
    assert isinstance(errors[0], ApplicationError)
    assert errors[0].code == "payment_method_required"
    (kept,) = PaymentMethod.objects.filter(customer=customer)
    assert kept.is_default
