"""The billing provider port: where invoices and payment methods are read from.

The dashboard, the billing pages and the billing API read through it, so they always
agree. The default provider reads our own tables; settings.BILLING_PROVIDER selects another
(an adapter to an external billing system). Callers that must not fail use
`count_payment_methods_or_none`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from accounts.models import Customer
from billing import selectors
from billing.models import Invoice, PaymentMethod
from portal.pagination import Page

logger = logging.getLogger(__name__)


class BillingProviderError(Exception):
    """The provider could not answer (down, timed out, or answered nonsense)."""


class BillingProvider(Protocol):
    # False for a provider that calls another system: it is then run under a timeout.
    in_process: bool

    def count_payment_methods(self, *, customer: Customer) -> int: ...

    def list_payment_methods(self, *, customer: Customer) -> list[PaymentMethod]:
        """The default method first, then the others in the order they were added."""
        ...

    def list_invoices(
        self,
        *,
        customer: Customer,
        statuses: Collection[str] | None = None,
        limit: int,
        cursor: str | None = None,
    ) -> Page[Invoice]:
        """A page of invoices (all, or those in `statuses`).

        Unpaid-only lists come soonest due first (overdue ones lead); other lists come
        newest issued first. A bad cursor raises ApplicationError("validation_error").
        """
        ...

    def get_invoice(self, *, customer: Customer, invoice_id: int) -> Invoice:
        """The invoice with its lines; Http404 when it is not this customer's."""
        ...


class LocalBillingProvider:
    """Reads our own tables, each call one indexed query (two for an invoice with lines)."""

    in_process = True

    def count_payment_methods(self, *, customer: Customer) -> int:
        return selectors.count_payment_methods(customer=customer)

    def list_payment_methods(self, *, customer: Customer) -> list[PaymentMethod]:
        return selectors.list_payment_methods(customer=customer)

    def list_invoices(
        self,
        *,
        customer: Customer,
        statuses: Collection[str] | None = None,
        limit: int,
        cursor: str | None = None,
    ) -> Page[Invoice]:
        return selectors.list_invoices(
            customer=customer, statuses=statuses, limit=limit, cursor=cursor
        )

    def get_invoice(self, *, customer: Customer, invoice_id: int) -> Invoice:
        return selectors.get_invoice_for_customer(customer=customer, invoice_id=invoice_id)


@cache
def _provider_class(path: str) -> type[BillingProvider]:
    return import_string(path)


def get_billing_provider() -> BillingProvider:
    return _provider_class(settings.BILLING_PROVIDER)()


_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="billing-provider")


def _count_with_timeout(provider: BillingProvider, *, customer: Customer, timeout: float) -> int:
    future = _executor.submit(provider.count_payment_methods, customer=customer)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        # A call still queued behind a hanging provider is never started: a billing system
        # that hangs must not pile up calls nobody waits for any more.
        future.cancel()
        raise


def count_payment_methods_or_none(*, customer: Customer) -> int | None:
    """The customer's payment method count, or None when the provider fails, is too slow or
    answers something that is not a count."""
    provider = get_billing_provider()
    timeout = settings.BILLING_PROVIDER_TIMEOUT_SECONDS
    try:
        if provider.in_process:
            count = provider.count_payment_methods(customer=customer)
        else:
            count = _count_with_timeout(provider, customer=customer, timeout=timeout)
    except FutureTimeout:
        logger.warning("Billing provider timed out after %ss (customer %s)", timeout, customer.pk)
        return None
    except Exception:
        logger.exception("Billing provider failed (customer %s)", customer.pk)
        return None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        logger.error("Billing provider answered %r for a count (customer %s)", count, customer.pk)
        return None
    return count
