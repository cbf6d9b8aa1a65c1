"""The `overdue` demo persona cancels their SIM, from the page and from the API."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

from dashboard.demo import DEMO_PASSWORD, load_demo_data
from notifications.models import Notification
from subscriptions.models import CancellationRequest, Subscription
from tests.subscriptions.conftest import tokyo

pytestmark = pytest.mark.django_db

EMAIL = "overdue@demo.example"
NOV_20 = tokyo(2026, 11, 20, 10)


@pytest.fixture
def overdue_sim() -> Subscription:
    load_demo_data(today=NOV_20.date())
    return Subscription.objects.get(customer__user__email=EMAIL, plan__kind="sim")


def _assert_notified_and_shown(client, sim: Subscription) -> None:
    notification = Notification.objects.get(user__email=EMAIL, type="CANCELLATION_SCHEDULED")
    assert notification.source_id == str(CancellationRequest.objects.get(subscription=sim).pk)
    assert notification.action_url == f"/account/services/{sim.pk}"
    assert "SIM Data 20GB will end on Nov. 30, 2026" in notification.message
    inbox = client.get("/account/notifications").content.decode()
    assert "SIM Data 20GB will end on Nov. 30, 2026" in inbox
    assert f'href="{notification.action_url}"' in inbox
    page = client.get(notification.action_url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "Cancellation scheduled" in content
    assert "Your last day of service is <strong>Nov. 30, 2026</strong>" in content


def test_overdue_customer_cancels_their_sim_from_the_page(
    client, overdue_sim, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOV_20, tick=False):
        assert client.login(email=EMAIL, password=DEMO_PASSWORD)
        services_page = client.get("/account/services").content.decode()
        # The demo SIM is a data plan: named by its card, not by a number.
        assert "Data SIM card ending in 0202" in services_page
        detail = client.get(f"/account/services/{overdue_sim.pk}").content.decode()
        cancel_url = f"/account/services/{overdue_sim.pk}/cancel"
        assert f'href="{cancel_url}"' in detail

        assert 'value="2026-11-30"' in client.get(cancel_url).content.decode()
        choice = {"effective_on": "2026-11-30", "reason": "leaving_japan", "comments": ""}
        review = client.post(cancel_url, {"step": "review", **choice}).content.decode()
        assert "the SIM stops working and its data plan ends" in review
        assert "phone number" not in review
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(cancel_url, {"step": "confirm", "confirm": "on", **choice})
        assert done.status_code == 302

        overdue_sim.refresh_from_db()
        assert overdue_sim.status == "cancellation_scheduled"
        _assert_notified_and_shown(client, overdue_sim)
    internet = Subscription.objects.get(customer__user__email=EMAIL, plan__kind="internet")
    assert internet.status == "active"


def test_overdue_customer_cancels_their_sim_from_the_api(
    client, overdue_sim, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOV_20, tick=False):
        api = APIClient()
        token = api.post("/api/auth/token", {"email": EMAIL, "password": DEMO_PASSWORD})
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token.json()['access']}")

        items = api.get("/api/subscriptions").json()["items"]
        sim = next(item for item in items if item["kind"] == "sim")
        assert sim["msisdn"] == "08012340002"
        options = api.get(f"/api/subscriptions/{sim['id']}/cancellation-options").json()
        assert options["effectiveDates"][0] == "2026-11-30"

        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                f"/api/subscriptions/{sim['id']}/cancellation",
                {"effectiveOn": options["effectiveDates"][0], "reason": "moving"},
                format="json",
            )
        assert response.status_code == 202
        detail = api.get(f"/api/subscriptions/{sim['id']}").json()
        assert detail["status"] == "cancellation_scheduled"
        assert detail["cancellation"]["effectiveOn"] == "2026-11-30"
        notifications = api.get("/api/notifications").json()["items"]
        assert [n["actionUrl"] for n in notifications if n["type"] == "CANCELLATION_SCHEDULED"] == [
            detail["href"]
        ]

        assert client.login(email=EMAIL, password=DEMO_PASSWORD)
        _assert_notified_and_shown(client, overdue_sim)
