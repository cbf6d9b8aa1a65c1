from __future__ import annotations

from datetime import date, timedelta
from unittest import mock

import pytest
import time_machine
from django.http import Http404

from billing.models import Invoice, PaymentMethod
from billing.processor import TestPaymentProcessor
from billing.services.invoices import mark_invoice_paid
from billing.services.payment_methods import (
    add_payment_method,
    remove_payment_method,
    set_default_payment_method,
)
from portal.api_errors import ApplicationError
from tests.factories import InvoiceFactory, PaymentMethodFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def _methods(customer) -> list[tuple[str, bool]]:
    return [
        (method.last4, method.is_default)
        for method in PaymentMethod.objects.filter(customer=customer).order_by("id")
    ]


def test_the_first_payment_method_becomes_the_default(customer):
    added = add_payment_method(customer=customer, token="tok_visa")
    assert added.created
    assert added.payment_method.is_default
    assert added.payment_method.processor_reference.startswith("pm_test_")


def test_a_second_payment_method_does_not_take_the_default(customer):
    add_payment_method(customer=customer, token="tok_visa")
    add_payment_method(customer=customer, token="tok_mastercard")
    assert _methods(customer) == [("4242", True), ("4444", False)]


def test_adding_the_same_token_twice_stores_one_method(customer):
    first = add_payment_method(customer=customer, token="tok_jcb")
    again = add_payment_method(customer=customer, token="tok_jcb")
    assert not again.created
    assert again.payment_method.pk == first.payment_method.pk
    assert PaymentMethod.objects.filter(customer=customer).count() == 1


def test_two_customers_can_add_the_same_test_token(customer, other_customer):
    mine = add_payment_method(customer=customer, token="tok_visa")
    theirs = add_payment_method(customer=other_customer, token="tok_visa")
    assert theirs.created
    assert mine.payment_method.processor_reference != theirs.payment_method.processor_reference
    assert theirs.payment_method.is_default


def test_a_refused_token_is_a_validation_error_naming_the_token(customer):
    with pytest.raises(ApplicationError) as refused:
        add_payment_method(customer=customer, token="tok_card_declined")
    assert refused.value.code == "validation_error"
    assert "declined" in refused.value.fields["token"][0]
    assert not PaymentMethod.objects.exists()


def test_the_last_method_of_a_customer_with_an_active_service_cannot_be_removed(customer):
    SubscriptionFactory(customer=customer, status="active")
    method = PaymentMethodFactory(customer=customer, is_default=True)
    with pytest.raises(ApplicationError) as refused:
        remove_payment_method(customer=customer, payment_method_id=method.pk)
    assert refused.value.code == "payment_method_required"
    assert refused.value.status_code == 409
    assert PaymentMethod.objects.filter(pk=method.pk).exists()


@pytest.mark.parametrize("status", ["cancellation_scheduled", "suspended"])
def test_services_still_billed_also_keep_the_last_method(customer, status):
    SubscriptionFactory(customer=customer, status=status)
    method = PaymentMethodFactory(customer=customer, is_default=True)
    with pytest.raises(ApplicationError, match="at least one payment method"):
        remove_payment_method(customer=customer, payment_method_id=method.pk)


def test_the_last_method_can_go_when_every_service_is_cancelled(customer):
    SubscriptionFactory(customer=customer, status="cancelled")
    method = PaymentMethodFactory(customer=customer, is_default=True)
    remove_payment_method(customer=customer, payment_method_id=method.pk)
    assert not PaymentMethod.objects.filter(customer=customer).exists()


def test_another_customers_service_does_not_keep_my_last_method(customer, other_customer):
    SubscriptionFactory(customer=other_customer, status="active")
    method = PaymentMethodFactory(customer=customer, is_default=True)
    remove_payment_method(customer=customer, payment_method_id=method.pk)
    assert not PaymentMethod.objects.filter(customer=customer).exists()


def test_with_two_methods_either_can_be_removed_despite_an_active_service(customer):
    SubscriptionFactory(customer=customer, status="active")
    PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    remove_payment_method(customer=customer, payment_method_id=spare.pk)
    assert _methods(customer) == [("1111", True)]


@time_machine.travel("2026-11-24 10:00 +09:00", tick=False)
def test_removing_the_default_promotes_the_newest_method_that_still_works(customer):
    default = PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    PaymentMethodFactory(customer=customer, last4="2222")
    PaymentMethodFactory(customer=customer, last4="3333", exp_month=10, exp_year=2026)
    remove_payment_method(customer=customer, payment_method_id=default.pk)
    assert _methods(customer) == [("2222", True), ("3333", False)]


def test_removing_a_method_that_is_not_the_default_keeps_the_default(customer):
    PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    remove_payment_method(customer=customer, payment_method_id=spare.pk)
    assert _methods(customer) == [("1111", True)]


def test_removing_tells_the_processor_to_forget_the_method(
    customer, django_capture_on_commit_callbacks
):
    method = PaymentMethodFactory(customer=customer, is_default=True)
    with (
        mock.patch.object(TestPaymentProcessor, "detach", autospec=True) as detach,
        django_capture_on_commit_callbacks(execute=True),
    ):
        remove_payment_method(customer=customer, payment_method_id=method.pk)
    detach.assert_called_once_with(mock.ANY, reference=method.processor_reference)


def test_another_customers_method_cannot_be_removed(customer, other_customer):
    theirs = PaymentMethodFactory(customer=other_customer, is_default=True)
    with pytest.raises(Http404):
        remove_payment_method(customer=customer, payment_method_id=theirs.pk)
    assert PaymentMethod.objects.filter(pk=theirs.pk).exists()


def test_making_another_method_the_default_moves_the_flag(customer):
    PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    spare = PaymentMethodFactory(customer=customer, last4="2222")
    method = set_default_payment_method(customer=customer, payment_method_id=spare.pk)
    assert method.is_default
    assert _methods(customer) == [("1111", False), ("2222", True)]


def test_making_the_default_the_default_again_changes_nothing(customer):
    default = PaymentMethodFactory(customer=customer, is_default=True, last4="1111")
    set_default_payment_method(customer=customer, payment_method_id=default.pk)
    assert _methods(customer) == [("1111", True)]


def test_another_customers_method_cannot_become_my_default(customer, other_customer):
    theirs = PaymentMethodFactory(customer=other_customer)
    with pytest.raises(Http404):
        set_default_payment_method(customer=customer, payment_method_id=theirs.pk)


@time_machine.travel("2026-11-24 10:00 +09:00", tick=False)
def test_paying_an_invoice_records_the_time_once(customer):
    invoice = InvoiceFactory(customer=customer, status="unpaid")
    paid = mark_invoice_paid(invoice_id=invoice.pk)
    assert paid.status == "paid"
    first_paid_at = paid.paid_at
    with time_machine.travel(date(2026, 11, 30) + timedelta(hours=12)):
        again = mark_invoice_paid(invoice_id=invoice.pk)
    assert again.paid_at == first_paid_at
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


@pytest.mark.parametrize("status", ["cancelled", "refunded"])
def test_cancelled_and_refunded_invoices_cannot_be_paid(customer, status):
    invoice = InvoiceFactory(customer=customer, status=status)
    with pytest.raises(ApplicationError) as refused:
        mark_invoice_paid(invoice_id=invoice.pk)
    assert refused.value.code == "invoice_not_payable"
