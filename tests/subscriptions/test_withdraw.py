"""The customer withdraws a scheduled cancellation (the endpoint and the service page), and
what the cancellation's notifications become when it is withdrawn or completed."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from subscriptions import services
from subscriptions.models import CancellationStatus, SubscriptionStatus
from tests.subscriptions.conftest import api_at, tokyo

pytestmark = pytest.mark.django_db

NOV_20 = tokyo(2026, 11, 20)


def _schedule(customer, subscription):
    cancellation = services.request_cancellation(
        customer=customer,
        subscription_id=subscription.pk,
        effective_on=tokyo(2026, 11, 30).date(),
        reason="moving",
        now=NOV_20,
    )
    services.notify_cancellation_scheduled(cancellation_request_id=cancellation.pk)
    return cancellation


def _of(type):
    return Notification.objects.get(type=type)


def test_withdrawing_answers_the_request_now_withdrawn(customer, sim):
    cancellation = _schedule(customer, sim)
    with api_at(tokyo(2026, 11, 21), customer) as api:
        response = api.delete(f"/api/subscriptions/{sim.pk}/cancellation")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["subscriptionId"]) == (
        cancellation.pk,
        "withdrawn",
        sim.pk,
    )
    sim.refresh_from_db()
    assert sim.status == SubscriptionStatus.ACTIVE


def test_withdrawing_tells_the_customer_and_retires_the_scheduled_notice(customer, sim):
    cancellation = _schedule(customer, sim)
    assert _of("CANCELLATION_SCHEDULED").read_at is None
    services.withdraw_scheduled_cancellation(
        customer=customer, subscription_id=sim.pk, now=tokyo(2026, 11, 21)
    )
    scheduled = _of("CANCELLATION_SCHEDULED")
    assert scheduled.retired_at == tokyo(2026, 11, 21)
    assert scheduled.read_at is not None
    withdrawn = _of("CANCELLATION_WITHDRAWN")
    assert withdrawn.source_id == str(cancellation.pk)
    assert (withdrawn.category, withdrawn.severity) == ("services", "info")
    assert withdrawn.rendered("ja").message.startswith("SIM データ 20GB")
    assert "Nov. 30, 2026" in withdrawn.rendered("en").message
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_withdrawing_twice_is_a_409_and_tells_once(customer, sim):
    _schedule(customer, sim)
    with api_at(tokyo(2026, 11, 21), customer) as api:
        assert api.delete(f"/api/subscriptions/{sim.pk}/cancellation").status_code == 200
        again = api.delete(f"/api/subscriptions/{sim.pk}/cancellation")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "cancellation_not_withdrawable"
    assert Notification.objects.filter(type="CANCELLATION_WITHDRAWN").count() == 1


def test_a_service_without_a_scheduled_cancellation_is_a_409(api, sim):
    response = api.delete(f"/api/subscriptions/{sim.pk}/cancellation")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cancellation_not_withdrawable"


def test_a_completed_cancellation_cannot_be_withdrawn(customer, sim):
    cancellation = _schedule(customer, sim)
    assert services.complete_cancellation(
        cancellation_request_id=cancellation.pk, now=tokyo(2026, 12, 1, 0, 5)
    )
    with api_at(tokyo(2026, 12, 1, 9), customer) as api:
        response = api.delete(f"/api/subscriptions/{sim.pk}/cancellation")
    assert response.status_code == 409
    cancellation.refresh_from_db()
    assert cancellation.status == CancellationStatus.COMPLETED


def test_another_customers_service_is_a_404(other_api, customer, sim):
    _schedule(customer, sim)
    response = other_api.delete(f"/api/subscriptions/{sim.pk}/cancellation")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_without_credentials_it_is_a_401(client, sim):
    assert client.delete(f"/api/subscriptions/{sim.pk}/cancellation").status_code == 401


def test_completion_tells_the_customer_and_retires_the_scheduled_notice(customer, sim):
    cancellation = _schedule(customer, sim)
    services.complete_cancellation(
        cancellation_request_id=cancellation.pk, now=tokyo(2026, 12, 1, 0, 5)
    )
    assert _of("CANCELLATION_SCHEDULED").retired_at == tokyo(2026, 12, 1, 0, 5)
    completed = _of("CANCELLATION_COMPLETED")
    assert completed.source_id == str(cancellation.pk)
    assert completed.rendered("en").title == "Your service has ended"
    assert completed.rendered("ja").title == "サービスの解約が完了しました"


def test_the_scheduled_notice_lasts_a_week_past_a_later_effective_date(customer, sim):
    cancellation = services.request_cancellation(
        customer=customer,
        subscription_id=sim.pk,
        effective_on=tokyo(2027, 1, 31).date(),
        reason="moving",
        now=NOV_20,
    )
    services.notify_cancellation_scheduled(cancellation_request_id=cancellation.pk)
    # The service ends at midnight after Jan 31 in Tokyo; the notice stays seven days more.
    assert _of("CANCELLATION_SCHEDULED").expires_at == tokyo(2027, 2, 8, 0)


# --- The service page ---------------------------------------------------------------------


def test_the_service_page_offers_the_withdraw_button(browser_client, customer, sim):
    _schedule(customer, sim)
    content = browser_client.get(f"/account/services/{sim.pk}").content.decode()
    assert f'action="/account/services/{sim.pk}/withdraw-cancellation"' in content


def test_the_withdraw_button_withdraws_and_says_so(browser_client, customer, sim):
    _schedule(customer, sim)
    response = browser_client.post(f"/account/services/{sim.pk}/withdraw-cancellation", follow=True)
    assert response.redirect_chain[-1][0] == f"/account/services/{sim.pk}"
    assert "Your cancellation is withdrawn" in response.content.decode()
    sim.refresh_from_db()
    assert sim.status == SubscriptionStatus.ACTIVE
    again = browser_client.post(f"/account/services/{sim.pk}/withdraw-cancellation", follow=True)
    assert "no scheduled cancellation" in again.content.decode()


def test_the_withdraw_button_of_another_customers_service_is_a_404(client, other_customer, sim):
    client.force_login(other_customer.user)
    response = client.post(f"/account/services/{sim.pk}/withdraw-cancellation")
    assert response.status_code == 404
