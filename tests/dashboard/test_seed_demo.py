from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Customer, User
from billing.models import Invoice
from orders.models import Order
from subscriptions.models import Plan, Subscription

pytestmark = pytest.mark.django_db


def _snapshot() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "customers": Customer.objects.count(),
        "plans": Plan.objects.count(),
        "invoices": Invoice.objects.count(),
        "orders": Order.objects.count(),
        "subscriptions": Subscription.objects.count(),
    }


def test_seed_demo_is_idempotent():
    call_command("seed_demo", "--force")
    first = _snapshot()
    call_command("seed_demo", "--force")
    assert _snapshot() == first
    assert first["customers"] == 4
    assert first["plans"] >= 4


def test_demo_personas_log_in_with_the_documented_password(client):
    call_command("seed_demo", "--force")
    for email in (
        "new@demo.example",
        "overdue@demo.example",
        "rejected@demo.example",
        "ordering@demo.example",
        "support@demo.example",
    ):
        assert client.login(email=email, password="portal-demo"), email
    assert User.objects.get(email="support@demo.example").is_staff


def test_demo_personas_have_their_documented_state():
    call_command("seed_demo", "--force")
    overdue = Customer.objects.get(crm_account_id="001DEMO000000002")
    assert overdue.internet_eligibility.status == "eligible"
    assert overdue.residence_card_verification.status == "verified"
    assert overdue.subscriptions.filter(status="active").count() == 2
    assert overdue.invoices.filter(status="unpaid").count() == 2
    rejected = Customer.objects.get(crm_account_id="001DEMO000000003")
    assert rejected.residence_card_verification.rejection_reason
    assert rejected.internet_eligibility.status == "pending"
    ordering = Customer.objects.get(crm_account_id="001DEMO000000004")
    assert sorted(ordering.orders.values_list("status", flat=True)) == [
        "pending_review",
        "provisioning",
    ]


def test_seed_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo")
