from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from billing import providers, selectors
from billing.providers import (
    BillingUnavailable,
    LocalBillingProvider,
    PaymentMethodInfo,
    count_payment_methods_or_none,
    list_payment_methods,
)
from tests.factories import InvoiceFactory, PaymentMethodFactory

pytestmark = pytest.mark.django_db


class FailingProvider:
    in_process = False

    def count_payment_methods(self, *, customer):
        raise providers.BillingProviderError("down")

    def list_payment_methods(self, *, customer):
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
    # Plain data, not our rows: the port is where an external billing system plugs in.
    assert all(type(method) is PaymentMethodInfo for method in methods)


def test_a_failing_provider_lists_nothing_but_says_it_is_unavailable(customer, settings):
    settings.BILLING_PROVIDER = "tests.billing.test_providers.FailingProvider"
    with pytest.raises(BillingUnavailable):
        list_payment_methods(customer=customer)


def test_payment_methods_answer_503_when_the_provider_is_down(api, customer, settings):
    PaymentMethodFactory(customer=customer)
    settings.BILLING_PROVIDER = "tests.billing.test_providers.FailingProvider"
    response = api.get("/api/payment-methods")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "billing_unavailable"
    # Invoices are ours: they do not need the provider.
    assert api.get("/api/invoices").status_code == 200
    status = api.get("/api/me/status")
    assert status.status_code == 200
    assert status.json()["paymentMethods"]["totalCount"] is None


def test_the_payment_methods_page_says_the_provider_is_down(browser_client, customer, settings):
    settings.BILLING_PROVIDER = "tests.billing.test_providers.FailingProvider"
    response = browser_client.get(reverse("billing-payment-methods"))
    assert response.status_code == 200
    assert "We could not load your payment methods just now" in response.content.decode()
    assert browser_client.get(reverse("billing-invoices")).status_code == 200


def test_unpaid_invoices_come_soonest_due_first(customer):
    today = timezone.localdate()
    later = InvoiceFactory(customer=customer, due_date=today + timedelta(days=5))
    overdue = InvoiceFactory(customer=customer, due_date=today - timedelta(days=10))
    InvoiceFactory(customer=customer, status="paid", due_date=today - timedelta(days=40))
    page = selectors.list_invoices(customer=customer, statuses={"unpaid"}, limit=10)
    assert page.items == [overdue, later]


def test_other_lists_come_newest_issued_first_and_page_by_cursor(customer, other_customer):
    today = timezone.localdate()
    invoices = [
        InvoiceFactory(customer=customer, status="paid", issued_on=today - timedelta(days=days))
        for days in (90, 60, 30)
    ]
    InvoiceFactory(customer=other_customer)
    first = selectors.list_invoices(customer=customer, limit=2)
    assert first.items == [invoices[2], invoices[1]]
    second = selectors.list_invoices(customer=customer, limit=2, cursor=first.next_cursor)
    assert second.items == [invoices[0]]
    assert second.next_cursor is None


def test_get_invoice_is_scoped_to_the_customer(customer, other_customer):
    theirs = InvoiceFactory(customer=other_customer)
    with pytest.raises(Http404):
        selectors.get_invoice_for_customer(customer=customer, invoice_id=theirs.pk)
