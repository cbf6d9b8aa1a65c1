from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Customer
from billing.models import Invoice
from dashboard.demo import load_demo_data
from notifications.models import Notification
from orders.models import Order
from subscriptions.models import CancellationRequest, Subscription
from tests.conftest import bearer_client
from tests.factories import (
    CustomerFactory,
    InvoiceFactory,
    OrderFactory,
    PaymentMethodFactory,
    PlanFactory,
    StaffUserFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db

ISO_TOKYO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$")

SUMMARY_KEYS = {"stats", "nextInvoice", "recentActivity"}
STATS_KEYS = {
    "activeSubscriptions",
    "unpaidInvoices",
    "overdueInvoices",
    "ordersInProgress",
    "unreadNotifications",
}
NEXT_INVOICE_KEYS = {
    "id",
    "number",
    "dueDate",
    "daysUntilDue",
    "total",
    "status",
    "overdue",
    "href",
}
ACTIVITY_KEYS = {"id", "type", "title", "occurredAt", "href"}
TASK_KEYS = {
    "id",
    "type",
    "priority",
    "tone",
    "title",
    "description",
    "actionLabel",
    "href",
    "dueDate",
}


@pytest.fixture
def busy_customer(customer):
    """One of everything, so every part of the snapshot has something to show."""
    today = timezone.localdate()
    customer.residence_card_verification.status = "rejected"
    customer.residence_card_verification.rejection_reason = "The photo is blurred."
    customer.residence_card_verification.submitted_at = timezone.now() - timedelta(days=2)
    customer.residence_card_verification.reviewed_at = timezone.now() - timedelta(days=1)
    customer.residence_card_verification.save()
    customer.internet_eligibility.status = "pending"
    customer.internet_eligibility.address = "1-2-3 Shibuya, Tokyo 150-0002"
    customer.internet_eligibility.requested_at = timezone.now() - timedelta(days=3)
    customer.internet_eligibility.save()
    InvoiceFactory(customer=customer, due_date=today - timedelta(days=2), total=Decimal("5500"))
    OrderFactory(customer=customer, status="provisioning")
    return customer


def test_me_status_answers_every_documented_key(api, busy_customer):
    response = api.get("/api/me/status")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "summary",
        "internetEligibility",
        "residenceCardVerification",
        "paymentMethods",
        "tasks",
    }
    assert set(body["summary"]) == SUMMARY_KEYS
    assert set(body["summary"]["stats"]) == STATS_KEYS
    assert set(body["summary"]["nextInvoice"]) == NEXT_INVOICE_KEYS
    assert body["summary"]["nextInvoice"]["total"] == {"amount": "5500.00", "currency": "JPY"}
    for entry in body["summary"]["recentActivity"]:
        assert set(entry) == ACTIVITY_KEYS
        assert ISO_TOKYO.match(entry["occurredAt"])
    assert set(body["internetEligibility"]) == {
        "status",
        "requestedAt",
        "checkedAt",
        "address",
        "notes",
    }
    assert body["internetEligibility"]["status"] == "pending"
    assert ISO_TOKYO.match(body["internetEligibility"]["requestedAt"])
    assert body["internetEligibility"]["notes"] is None
    assert set(body["residenceCardVerification"]) == {
        "status",
        "submittedAt",
        "reviewedAt",
        "rejectionReason",
        "cardExpiresOn",
    }
    assert body["residenceCardVerification"]["rejectionReason"] == "The photo is blurred."
    assert body["paymentMethods"] == {"totalCount": 0}
    assert [task["type"] for task in body["tasks"]] == [
        "invoice_due",
        "idv_rejected",
        "add_payment_method",
        "order_in_progress",
        "eligibility_pending",
    ]
    for task in body["tasks"]:
        assert set(task) == TASK_KEYS
    invoice_task, idv_task = body["tasks"][:2]
    assert invoice_task["dueDate"] == str(timezone.localdate() - timedelta(days=2))
    assert invoice_task["id"].startswith("invoice_due:")
    assert idv_task == {
        "id": "idv_rejected",
        "type": "idv_rejected",
        "priority": 20,
        "tone": "critical",
        "title": "Upload your residence card again",
        "description": "The photo is blurred.",
        "actionLabel": "Upload again",
        "href": "/account/verification",
        "dueDate": None,
    }


def test_me_summary_is_the_summary_of_me_status(api, busy_customer):
    api.get("/api/me/status")  # the first read creates the invoice reminder
    summary = api.get("/api/me/summary")
    assert summary.status_code == 200
    assert summary.json() == api.get("/api/me/status").json()["summary"]


def test_empty_summary_has_null_next_invoice_and_no_activity(api):
    body = api.get("/api/me/summary").json()
    assert body == {
        "stats": {key: 0 for key in STATS_KEYS},
        "nextInvoice": None,
        "recentActivity": [],
    }


def test_a_failing_billing_provider_still_answers_with_null(api, customer, settings):
    settings.BILLING_PROVIDER = "tests.dashboard.providers.FailingProvider"
    response = api.get("/api/me/status")
    assert response.status_code == 200
    assert response.json()["paymentMethods"] == {"totalCount": None}


@pytest.mark.parametrize("path", ["/api/me/status", "/api/me/summary"])
def test_the_dashboard_needs_credentials(anonymous_api, path):
    response = anonymous_api.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize("path", ["/api/me/status", "/api/me/summary"])
def test_a_login_without_a_customer_is_404(path):
    response = bearer_client(StaffUserFactory()).get(path)
    assert response.status_code == 404


def test_each_customer_sees_only_their_own_snapshot(api, other_api, customer, other_customer):
    invoice = InvoiceFactory(customer=other_customer, due_date=timezone.localdate())
    mine = api.get("/api/me/status").json()
    theirs = other_api.get("/api/me/status").json()
    assert mine["summary"]["nextInvoice"] is None
    assert [task["id"] for task in mine["tasks"]] == ["onboarding"]
    assert theirs["summary"]["nextInvoice"]["id"] == invoice.pk
    assert not Notification.objects.filter(user=customer.user).exists()


def test_task_copy_follows_the_customers_language(api, customer):
    customer.language = "ja"
    customer.save()
    SubscriptionFactory(customer=customer)
    PaymentMethodFactory(customer=customer)
    InvoiceFactory(customer=customer, due_date=timezone.localdate() - timedelta(days=1))
    with time_machine.travel(timezone.now(), tick=False):
        description = api.get("/api/me/status").json()["tasks"][0]["description"]
    assert "円" in description and "年" in description


# --- Query budget (DESIGN.md section 9) ---------------------------------------------------


def _heavy_customer() -> Customer:
    """500 invoices, 100 orders, 50 subscriptions, 5,000 notifications, in a few inserts."""
    customer = CustomerFactory()
    now = timezone.now()
    today = timezone.localdate()
    PaymentMethodFactory(customer=customer, is_default=True)
    sim, internet = PlanFactory(kind="sim"), PlanFactory(kind="internet")
    subscriptions = Subscription.objects.bulk_create(
        Subscription(
            customer=customer,
            plan=sim if index % 2 else internet,
            status="active" if index < 40 else "cancelled",
            activated_at=now - timedelta(days=index),
        )
        for index in range(50)
    )
    Order.objects.bulk_create(
        Order(
            customer=customer,
            number=f"ORD-H{index:05d}",
            external_id=f"801HEAVY{index:010d}",
            plan=sim,
            kind="sim",
            status="activated" if index % 3 else "failed",
            placed_at=now - timedelta(days=index + 10),
            activated_at=(now - timedelta(days=index + 8)) if index % 3 else None,
            failed_at=None if index % 3 else now - timedelta(days=index + 9),
        )
        for index in range(99)
    )
    OrderFactory(customer=customer, plan=internet, status="provisioning")
    invoices = [
        Invoice(
            customer=customer,
            number=f"INV-H{index:05d}",
            issued_on=today - timedelta(days=30 * index + 14),
            due_date=today - timedelta(days=30 * index),
            total=Decimal("7458"),
            status="paid",
            paid_at=now - timedelta(days=30 * index + 2),
        )
        for index in range(1, 498)
    ]
    for index, due_in in enumerate((-10, 3, 30)):
        invoices.append(
            Invoice(
                customer=customer,
                number=f"INV-HU{index}",
                issued_on=today - timedelta(days=14),
                due_date=today + timedelta(days=due_in),
                total=Decimal("7458"),
            )
        )
    Invoice.objects.bulk_create(invoices)
    CancellationRequest.objects.bulk_create(
        CancellationRequest(
            customer=customer,
            subscription=subscription,
            effective_on=today,
            reason="moving",
            status="completed",
            requested_at=now - timedelta(days=60),
        )
        for subscription in subscriptions[40:]
    )
    Notification.objects.bulk_create(
        Notification(
            user=customer.user,
            type="ORDER_ACTIVATED",
            context={"order_number": "ORD-1", "plan_name": "SIM", "order_id": 1},
            category="orders",
            severity="info",
            source="order",
            source_id=f"801HEAVY{index:010d}",
            created_at=now - timedelta(minutes=index),
            expires_at=now + timedelta(days=20),
            read_at=now if index % 10 else None,
        )
        for index in range(5000)
    )
    return customer


def test_me_status_costs_the_same_queries_for_a_new_and_a_heavy_customer(
    django_assert_max_num_queries, django_assert_num_queries
):
    load_demo_data()
    new = bearer_client(Customer.objects.get(user__email="new@demo.example").user)
    heavy_customer = _heavy_customer()
    heavy = bearer_client(heavy_customer.user)
    # Warm both up: the first read may create the invoice reminder.
    new.get("/api/me/status")
    heavy.get("/api/me/status")

    # Authentication, then at most 4 statements (DESIGN.md section 11).
    with django_assert_max_num_queries(1 + 4) as light_queries:
        assert new.get("/api/me/status").status_code == 200
    with django_assert_num_queries(len(light_queries)):
        response = heavy.get("/api/me/status")
    body = response.json()
    assert body["summary"]["stats"] == {
        "activeSubscriptions": 40,
        "unpaidInvoices": 3,
        "overdueInvoices": 1,
        "ordersInProgress": 1,
        "unreadNotifications": 501,
    }
    assert len(body["summary"]["recentActivity"]) == 10
    assert [task["type"] for task in body["tasks"]] == [
        "invoice_due",
        "invoice_due",
        "order_in_progress",
    ]


def test_me_summary_costs_the_same_queries_for_an_empty_and_a_heavy_customer(
    api, django_assert_max_num_queries, django_assert_num_queries
):
    heavy = bearer_client(_heavy_customer().user)
    api.get("/api/me/summary")
    heavy.get("/api/me/summary")
    with django_assert_max_num_queries(1 + 4) as light_queries:
        api.get("/api/me/summary")
    with django_assert_num_queries(len(light_queries)):
        heavy.get("/api/me/summary")
