"""The billing provider port: the payment-method calls that go to the billing system.

Invoices are ours (the portal is their system of record) and are read from our tables by
`billing.selectors`. Payment methods are the billing system's: the dashboard counts them and
the payment methods API and page list them through this port, which answers plain data. The
default provider reads our own tables; settings.BILLING_PROVIDER selects another (an adapter
to an external billing system), which runs under a timeout.

When the provider fails, times out or answers nonsense: the count is None (the dashboard
shows `totalCount: null`), and a list raises `BillingUnavailable` (`503 billing_unavailable`
in the API; the page says so).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.models import Customer
from billing import selectors
from billing.models import PaymentMethod, PaymentMethodType
from portal.api_errors import ApplicationError

logger = logging.getLogger(__name__)

T = TypeVar("T")


class BillingProviderError(Exception):
    """The provider could not answer (down, timed out, or answered nonsense)."""


class BillingUnavailable(ApplicationError):
    """A page or an answer needs the billing provider, and it is not answering."""

    def __init__(self) -> None:
        super().__init__(
            "billing_unavailable",
            _("We could not load your payment methods just now. Please try again later."),
        )


@dataclass(frozen=True)
class PaymentMethodInfo:
    """A payment method as the billing system describes it: masked details only."""

    id: int
    type: str
    brand: str
    last4: str
    exp_month: int | None
    exp_year: int | None
    is_default: bool

    @classmethod
    def from_model(cls, method: PaymentMethod) -> PaymentMethodInfo:
        return cls(
            id=method.pk,
            type=method.type,
            brand=method.brand,
            last4=method.last4,
            exp_month=method.exp_month,
            exp_year=method.exp_year,
            is_default=method.is_default,
        )

    @property
    def type_label(self) -> str:
        return str(PaymentMethodType(self.type).label)

    def _card(self) -> PaymentMethod:
        # The expiry rules live on the model; an unsaved one applies them to these months.
        return PaymentMethod(exp_month=self.exp_month, exp_year=self.exp_year)

    def is_expired(self, *, today: date) -> bool:
        return self._card().is_expired(today=today)

    def expires_soon(self, *, today: date) -> bool:
        return self._card().expires_soon(today=today)


class BillingProvider(Protocol):
    # False for a provider that calls another system: it is then run under a timeout.
    in_process: bool

    def count_payment_methods(self, *, customer: Customer) -> int: ...

    def list_payment_methods(self, *, customer: Customer) -> list[PaymentMethodInfo]:
        """The default method first, then the others in the order they were added."""
        ...


class LocalBillingProvider:
    """Reads our own tables, each call one indexed query."""

    in_process = True

    def count_payment_methods(self, *, customer: Customer) -> int:
        return selectors.count_payment_methods(customer=customer)

    def list_payment_methods(self, *, customer: Customer) -> list[PaymentMethodInfo]:
        return [
            PaymentMethodInfo.from_model(method)
            for method in selectors.list_payment_methods(customer=customer)
        ]


@cache
def _provider_class(path: str) -> type[BillingProvider]:
    return import_string(path)


def get_billing_provider() -> BillingProvider:
    return _provider_class(settings.BILLING_PROVIDER)()


_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="billing-provider")


def _call(provider: BillingProvider, call: Callable[[], T], *, timeout: float) -> T:
    if provider.in_process:
        return call()
    future = _executor.submit(call)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        # A call still queued behind a hanging provider is never started: a billing system
        # that hangs must not pile up calls nobody waits for any more.
        future.cancel()
        raise


def _answer(what: str, customer: Customer, call: Callable[[BillingProvider], T]) -> T | None:
    """The provider's answer, or None (logged) when it fails or is too slow."""
    provider = get_billing_provider()
    timeout = settings.BILLING_PROVIDER_TIMEOUT_SECONDS
    try:
        return _call(provider, lambda: call(provider), timeout=timeout)
    except FutureTimeout:
        logger.warning(
            "Billing provider timed out after %ss on %s (customer %s)", timeout, what, customer.pk
        )
    except Exception:
        logger.exception("Billing provider failed on %s (customer %s)", what, customer.pk)
    return None


def count_payment_methods_or_none(*, customer: Customer) -> int | None:
    """The customer's payment method count, or None when the provider fails, is too slow or
    answers something that is not a count."""
    count: Any = _answer(
        "count", customer, lambda provider: provider.count_payment_methods(customer=customer)
    )
    if count is None:
        return None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        logger.error("Billing provider answered %r for a count (customer %s)", count, customer.pk)
        return None
    return count


def list_payment_methods(*, customer: Customer) -> list[PaymentMethodInfo]:
    """The customer's payment methods; BillingUnavailable when the provider cannot say."""
    methods: Any = _answer(
        "list", customer, lambda provider: provider.list_payment_methods(customer=customer)
    )
    if not isinstance(methods, list) or not all(
        isinstance(method, PaymentMethodInfo) for method in methods
    ):
        if methods is not None:
            logger.error(
                "Billing provider answered %r for a list (customer %s)", methods, customer.pk
            )
        raise BillingUnavailable()
    return methods
