from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from billing import providers
from billing.providers import LocalBillingProvider, count_payment_methods_or_none
from tests.factories import InvoiceFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db


class FailingProvider:
    in_process = False

    def count_payment_methods(self, *, customer):
        raise providers.BillingProviderError("down")


_release = threading.Event()


class SlowProvider:
    in_process = False

    def count_payment_methods(self, *, customer):
        _release.wait(5)
        return 1


def test_the_local_provider_counts_only_the_customers_methods(customer, other_customer):
    PaymentMethodFactory.create_batch(2, customer=customer)
    PaymentMethodFactory(customer=other_customer)
    assert LocalBillingProvider().count_payment_methods(customer=customer) == 2
    assert count_payment_methods_or_none(customer=customer) == 2


def test_a_failing_provider_counts_none(customer, settings):
    settings.BILLING_PROVIDER = "tests.billing.test_providers.FailingProvider"
    assert count_payment_methods_or_none(customer=customer) is None


def test_a_provider_slower_than_its_timeout_counts_none(customer, settings):
    settings.BILLING_PROVIDER = "tests.billing.test_providers.SlowProvider"
    settings.BILLING_PROVIDER_TIMEOUT_SECONDS = 0.05
    _release.clear()
    try:
        assert count_payment_methods_or_none(customer=customer) is None
    finally:
        _release.set()


def test_the_local_provider_lists_the_default_method_first(customer, other_customer):
    PaymentMethodFactory(customer=customer, last4="1111")
    PaymentMethodFactory(customer=customer, last4="2222", is_default=True)
    PaymentMethodFactory(customer=other_customer, last4="3333")
    methods = LocalBillingProvider().list_payment_methods(customer=customer)
    assert [method.last4 for method in methods] == ["2222", "1111"]


def test_unpaid_invoices_come_soonest_due_first(customer):
    today = timezone.localdate()
    later = InvoiceFactory(customer=customer, due_date=today + timedelta(days=5))
    overdue = InvoiceFactory(customer=customer, due_date=today - timedelta(days=10))
    InvoiceFactory(customer=customer, status="paid", due_date=today - timedelta(days=40))
    page = LocalBillingProvider().list_invoices(customer=customer, statuses={"unpaid"}, limit=10)
    assert page.items == [overdue, later]


def test_other_lists_come_newest_issued_first_and_page_by_cursor(customer, other_customer):
    today = timezone.localdate()
    invoices = [
        InvoiceFactory(customer=customer, status="paid", issued_on=today - timedelta(days=days))
        for days in (90, 60, 30)
    ]
    InvoiceFactory(customer=other_customer)
    provider = LocalBillingProvider()
    first = provider.list_invoices(customer=customer, limit=2)
    assert first.items == [invoices[2], invoices[1]]
    second = provider.list_invoices(customer=customer, limit=2, cursor=first.next_cursor)
    assert second.items == [invoices[0]]
    assert second.next_cursor is None


def test_get_invoice_is_scoped_to_the_customer(customer, other_customer):
    theirs = InvoiceFactory(customer=other_customer)
    with pytest.raises(Http404):
        LocalBillingProvider().get_invoice(customer=customer, invoice_id=theirs.pk)
