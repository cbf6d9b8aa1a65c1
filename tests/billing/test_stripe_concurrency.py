"""The Stripe customer under concurrent first uses, on a real database (PostgreSQL)."""

from __future__ import annotations

import pytest

from billing.models import StripeCustomer
from billing.stripe_processor import StripePaymentProcessor
from tests.billing.stripe_standin import RunningStandIn
from tests.notifications.concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_first_uses_make_one_stripe_customer_with_one_call(customer, settings):
    with RunningStandIn() as standin:
        settings.STRIPE_SECRET_KEY = "sk_test_standin"
        settings.STRIPE_API_BASE = standin.base_url
        reference = f"customer-{customer.pk}"

        def first_use() -> str:
            processor = StripePaymentProcessor()
            return processor.stripe_customer_id(customer_reference=reference)

        outcomes = run_at_once(first_use, threads=6)
        assert len(set(outcomes)) == 1
        assert StripeCustomer.objects.get().stripe_id == outcomes[0]
        assert len(standin.of_type("customer")) == 1
        # The lock made the others wait for the row, not call Stripe again.
        assert len(standin.calls_to("POST", "/v1/customers")) == 1
