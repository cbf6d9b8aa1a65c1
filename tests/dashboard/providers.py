"""Billing providers that misbehave like a remote billing system can, for the dashboard tests."""

from __future__ import annotations

import threading

from accounts.models import Customer
from billing.providers import BillingProviderError


class FailingProvider:
    in_process = True

    def count_payment_methods(self, *, customer: Customer) -> int:
        raise BillingProviderError("billing system answered 503")


class HangingProvider:
    """Answers only once `release` is set: slower than any timeout the tests configure."""

    in_process = False
    release = threading.Event()

    def count_payment_methods(self, *, customer: Customer) -> int:
        self.release.wait(timeout=10)
        return 3
