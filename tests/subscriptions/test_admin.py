from __future__ import annotations

import pytest

from subscriptions.models import CancellationRequest
from tests.factories import CancellationRequestFactory, InternetSubscriptionFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/subscriptions/cancellationrequest/"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def scheduled(sim) -> CancellationRequest:
    sim.status = "cancellation_scheduled"
    sim.save()
    return CancellationRequestFactory(subscription=sim, reason="too_expensive")


def _withdraw(client, *cancellations: CancellationRequest):
    return client.post(
        CHANGELIST,
        {"action": "withdraw", "_selected_action": [c.pk for c in cancellations]},
        follow=True,
    )


def test_the_changelist_lists_requests_with_their_filters(staff_client, scheduled):
    response = staff_client.get(CHANGELIST)
    assert response.status_code == 200
    content = response.content.decode()
    assert scheduled.customer.name in content
    assert "It costs too much" in content
    for parameter in ("status__exact", "reason__exact", "subscription__plan__kind__exact"):
        assert parameter in content


def test_the_changelist_filters_by_status(staff_client, scheduled):
    completed = CancellationRequestFactory(
        subscription=InternetSubscriptionFactory(status="cancelled"), status="completed"
    )
    response = staff_client.get(CHANGELIST, {"status__exact": "completed"})
    shown = [row.pk for row in response.context["cl"].result_list]
    assert shown == [completed.pk]


def test_withdrawing_keeps_the_service_active(staff_client, scheduled):
    response = _withdraw(staff_client, scheduled)
    assert "1 cancellation withdrawn." in response.content.decode()
    scheduled.refresh_from_db()
    scheduled.subscription.refresh_from_db()
    assert scheduled.status == "withdrawn"
    assert scheduled.withdrawn_at is not None
    assert scheduled.subscription.status == "active"


def test_a_completed_request_is_not_withdrawn_and_support_is_told_why(staff_client, scheduled):
    scheduled.status = "completed"
    scheduled.save()
    scheduled.subscription.status = "cancelled"
    scheduled.subscription.save()
    response = _withdraw(staff_client, scheduled)
    assert "cannot be withdrawn" in response.content.decode()
    scheduled.subscription.refresh_from_db()
    assert scheduled.subscription.status == "cancelled"


def test_requests_cannot_be_added_edited_or_deleted_by_hand(staff_client, scheduled):
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403
    detail = staff_client.get(f"{CHANGELIST}{scheduled.pk}/change/")
    assert detail.status_code == 200
    assert 'name="status"' not in detail.content.decode()
    assert staff_client.get(f"{CHANGELIST}{scheduled.pk}/delete/").status_code == 403


def test_the_subscription_page_lists_its_cancellation_requests(staff_client, scheduled):
    response = staff_client.get(
        f"/admin/subscriptions/subscription/{scheduled.subscription_id}/change/"
    )
    assert response.status_code == 200
    assert "It costs too much" in response.content.decode()


def test_customers_cannot_reach_the_admin(browser_client, scheduled):
    response = browser_client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
