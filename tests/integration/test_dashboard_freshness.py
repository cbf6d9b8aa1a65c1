"""Every change a customer can make shows in the next `GET /api/me/status`."""

from __future__ import annotations

import pytest

from tests.accounts.support import PNG, upload
from tests.factories import (
    NotificationFactory,
    PaymentMethodFactory,
    PlanFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def status(api):
    def read() -> dict:
        response = api.get("/api/me/status")
        assert response.status_code == 200
        return response.json()

    return read


def test_reading_a_notification_updates_the_unread_count(api, customer, status):
    notification = NotificationFactory(user=customer.user)
    assert status()["summary"]["stats"]["unreadNotifications"] == 1
    api.post(f"/api/notifications/{notification.pk}/read")
    assert status()["summary"]["stats"]["unreadNotifications"] == 0


def test_requesting_eligibility_shows_pending(api, status):
    assert status()["internetEligibility"]["status"] == "not_requested"
    response = api.post(
        "/api/me/internet-eligibility",
        {"postalCode": "150-0002", "address": "1-2-3 Shibuya, Tokyo"},
        format="json",
    )
    assert response.status_code == 202
    assert status()["internetEligibility"]["status"] == "pending"
    assert "eligibility_pending" in [task["type"] for task in status()["tasks"]]


def test_uploading_a_residence_card_shows_pending(api, status, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": str(tmp_path)}},
    }
    assert status()["residenceCardVerification"]["status"] == "not_submitted"
    response = api.post(
        "/api/me/residence-card",
        {
            "front": upload("front.png", PNG, "image/png"),
            "back": upload("back.png", PNG, "image/png"),
        },
        format="multipart",
    )
    assert response.status_code == 202
    assert status()["residenceCardVerification"]["status"] == "pending"


def test_placing_an_order_adds_its_task(api, customer, status):
    customer.residence_card_verification.status = "verified"
    customer.residence_card_verification.save()
    PaymentMethodFactory(customer=customer, is_default=True)
    PlanFactory(code="sim-test", kind="sim")
    assert status()["summary"]["stats"]["ordersInProgress"] == 0
    assert api.post("/api/orders", {"planCode": "sim-test"}, format="json").status_code == 201
    body = status()
    assert body["summary"]["stats"]["ordersInProgress"] == 1
    assert [task["type"] for task in body["tasks"]] == ["order_in_progress"]


def test_requesting_a_cancellation_shows_in_recent_activity(api, customer, status):
    subscription = SubscriptionFactory(customer=customer)
    assert status()["summary"]["recentActivity"] == []
    options = api.get(f"/api/subscriptions/{subscription.pk}/cancellation-options").json()
    response = api.post(
        f"/api/subscriptions/{subscription.pk}/cancellation",
        {"effectiveOn": options["effectiveDates"][0], "reason": options["reasons"][0]["code"]},
        format="json",
    )
    assert response.status_code == 202
    activity = status()["summary"]["recentActivity"]
    assert [entry["type"] for entry in activity] == ["cancellation_requested"]
