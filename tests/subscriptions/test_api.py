from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from subscriptions.models import CancellationRequest
from tests.factories import (
    CancellationRequestFactory,
    InternetSubscriptionFactory,
    OrderFactory,
    SubscriptionFactory,
)
from tests.subscriptions.conftest import api_at, tokyo

pytestmark = pytest.mark.django_db

NOV_20 = tokyo(2026, 11, 20)


def _cancel(client, subscription_id: int, **body: object):
    payload = {"effectiveOn": "2026-11-30", "reason": "moving", **body}
    return client.post(f"/api/subscriptions/{subscription_id}/cancellation", payload, format="json")


# --- Reading ------------------------------------------------------------------------------


def test_a_sim_shows_its_identifiers_and_no_address(api, sim):
    OrderFactory(customer=sim.customer, plan=sim.plan, status="activated", subscription=sim)
    body = api.get(f"/api/subscriptions/{sim.pk}").json()
    assert body == {
        "id": sim.pk,
        "kind": "sim",
        "status": "active",
        "plan": {
            "code": sim.plan.code,
            "kind": "sim",
            "name": "SIM Data 20GB",
            "monthlyPrice": {"amount": "2178.00", "currency": "JPY"},
        },
        "activatedAt": body["activatedAt"],
        "msisdn": "08012345678",
        "iccid": "8981100000000000123",
        "cancellation": None,
        "suspended": None,
        "href": f"/account/services/{sim.pk}",
    }
    assert body["activatedAt"].endswith("+09:00")


def test_an_internet_line_shows_its_address_and_line_id_and_no_sim_fields(api, internet):
    body = api.get(f"/api/subscriptions/{internet.pk}").json()
    assert body["kind"] == "internet"
    assert body["installationAddress"] == internet.installation_address
    assert body["lineId"] == internet.line_id
    assert "msisdn" not in body and "iccid" not in body


def test_a_missing_identifier_is_null_not_an_empty_string(api, customer):
    subscription = SubscriptionFactory(customer=customer, msisdn="", iccid="")
    body = api.get(f"/api/subscriptions/{subscription.pk}").json()
    assert body["msisdn"] is None
    assert body["iccid"] is None


def test_a_scheduled_cancellation_is_part_of_the_subscription(customer, sim):
    with api_at(NOV_20, customer) as api:
        cancellation = _cancel(api, sim.pk).json()
        body = api.get(f"/api/subscriptions/{sim.pk}").json()
    assert body["status"] == "cancellation_scheduled"
    assert body["cancellation"] == {
        "id": cancellation["id"],
        "effectiveOn": "2026-11-30",
        "reason": "moving",
        "status": "scheduled",
        "requestedAt": "2026-11-20T12:00:00+09:00",
    }


def test_a_withdrawn_cancellation_is_not_shown(api, sim):
    CancellationRequestFactory(subscription=sim, status="withdrawn")
    assert api.get(f"/api/subscriptions/{sim.pk}").json()["cancellation"] is None


def test_the_list_holds_only_the_customers_own_services_newest_first(api, sim, internet):
    SubscriptionFactory()  # someone else's
    body = api.get("/api/subscriptions").json()
    assert [item["id"] for item in body["items"]] == [internet.pk, sim.pk]
    assert body["nextCursor"] is None


def test_the_list_is_cursor_paginated(api, sim, internet):
    first = api.get("/api/subscriptions?limit=1").json()
    assert [item["id"] for item in first["items"]] == [internet.pk]
    second = api.get(f"/api/subscriptions?limit=1&cursor={first['nextCursor']}").json()
    assert [item["id"] for item in second["items"]] == [sim.pk]
    assert second["nextCursor"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=abc", "limit=101", "cursor=nonsense"])
def test_bad_list_parameters_are_a_400(api, query):
    response = api.get(f"/api/subscriptions?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/subscriptions?limit=100")
    assert response.status_code == 200
    return len(captured)


def test_the_list_costs_the_same_queries_for_one_service_or_fifty(
    api, customer, django_assert_max_num_queries
):
    SubscriptionFactory(customer=customer)
    light = _list_queries(api)
    for index in range(49):
        factory = InternetSubscriptionFactory if index % 2 else SubscriptionFactory
        subscription = factory(customer=customer)
        if index % 3 == 0:
            CancellationRequestFactory(subscription=subscription)
    assert _list_queries(api) == light
    with django_assert_max_num_queries(4):
        assert len(api.get("/api/subscriptions?limit=100").json()["items"]) == 50


# --- Options ------------------------------------------------------------------------------


def test_options_offer_three_month_ends_and_the_reasons(customer, sim):
    with api_at(tokyo(2026, 11, 25, 23, 59), customer) as api:
        body = api.get(f"/api/subscriptions/{sim.pk}/cancellation-options").json()
    assert body["effectiveDates"] == ["2026-11-30", "2026-12-31", "2027-01-31"]
    reasons = {reason["code"]: reason["label"] for reason in body["reasons"]}
    assert reasons["moving"] == "I am moving house"
    assert "other" in reasons


def test_options_follow_the_tokyo_calendar_at_midnight(customer, sim):
    # 00:30 on the 26th in Tokyo is still the 25th in UTC.
    with api_at(tokyo(2026, 11, 26, 0, 30), customer) as api:
        body = api.get(f"/api/subscriptions/{sim.pk}/cancellation-options").json()
    assert body["effectiveDates"] == ["2026-12-31", "2027-01-31", "2027-02-28"]


# --- Cancelling ---------------------------------------------------------------------------


def test_cancelling_answers_202_with_the_request(customer, sim, django_capture_on_commit_callbacks):
    with api_at(NOV_20, customer) as api, django_capture_on_commit_callbacks(execute=True):
        response = _cancel(api, sim.pk, comments="Moving abroad")
    assert response.status_code == 202
    cancellation = CancellationRequest.objects.get()
    assert response.json() == {
        "id": cancellation.pk,
        "subscriptionId": sim.pk,
        "effectiveOn": "2026-11-30",
        "reason": "moving",
        "comments": "Moving abroad",
        "status": "scheduled",
        "requestedAt": "2026-11-20T12:00:00+09:00",
    }
    notification = Notification.objects.get(type="CANCELLATION_SCHEDULED")
    assert notification.action_url == f"/account/services/{sim.pk}"
    assert notification.source_id == str(cancellation.pk)


def test_comments_are_optional(customer, sim):
    with api_at(NOV_20, customer) as api:
        response = api.post(
            f"/api/subscriptions/{sim.pk}/cancellation",
            {"effectiveOn": "2026-12-31", "reason": "other"},
            format="json",
        )
    assert response.status_code == 202
    assert response.json()["comments"] == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"effectiveOn": "2026-11-29"}, "effectiveOn"),
        ({"effectiveOn": "2027-02-28"}, "effectiveOn"),
        ({"effectiveOn": "30/11/2026"}, "effectiveOn"),
        ({"effectiveOn": None}, "effectiveOn"),
        ({"reason": "bored"}, "reason"),
        ({"reason": ""}, "reason"),
        ({"comments": "x" * 1001}, "comments"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(customer, sim, body, field):
    with api_at(NOV_20, customer) as api:
        response = _cancel(api, sim.pk, **body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == [field]
    assert not CancellationRequest.objects.exists()


def test_this_months_end_is_a_400_after_the_25th(customer, sim):
    with api_at(tokyo(2026, 11, 26, 0, 5), customer) as api:
        response = _cancel(api, sim.pk, effectiveOn="2026-11-30")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["effectiveOn"] == ["Choose one of the offered dates."]


def test_malformed_json_is_a_400(api, sim):
    response = api.post(
        f"/api/subscriptions/{sim.pk}/cancellation",
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_second_request_is_a_409_and_a_double_submit_creates_one_request(customer, sim):
    with api_at(NOV_20, customer) as api:
        first = _cancel(api, sim.pk)
        second = _cancel(api, sim.pk)
    assert first.status_code == 202
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "cancellation_already_scheduled"
    assert CancellationRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [("cancelled", "subscription_cancelled"), ("suspended", "subscription_suspended")],
)
def test_an_ended_or_suspended_service_is_a_409(customer, sim, status, code):
    sim.status = status
    sim.save()
    with api_at(NOV_20, customer) as api:
        response = _cancel(api, sim.pk)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == code


# --- Ownership and login ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/subscriptions/{id}",
        "/api/subscriptions/{id}/cancellation-options",
    ],
)
def test_other_customers_subscription_is_404(other_api, sim, path):
    response = other_api.get(path.format(id=sim.pk))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_other_customers_list_does_not_include_the_subscription(other_api, sim):
    assert other_api.get("/api/subscriptions").json()["items"] == []


def test_cancelling_another_customers_subscription_is_404_and_changes_nothing(other_customer, sim):
    with api_at(NOV_20, other_customer) as other_api:
        response = _cancel(other_api, sim.pk)
    assert response.status_code == 404
    sim.refresh_from_db()
    assert sim.status == "active"
    assert not CancellationRequest.objects.exists()


def test_an_unknown_subscription_is_404(api):
    assert api.get("/api/subscriptions/999999").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/subscriptions"),
        ("get", "/api/subscriptions/{id}"),
        ("get", "/api/subscriptions/{id}/cancellation-options"),
        ("post", "/api/subscriptions/{id}/cancellation"),
    ],
)
def test_every_endpoint_needs_a_login(anonymous_api, sim, method, path):
    response = getattr(anonymous_api, method)(path.format(id=sim.pk), format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_schema_documents_the_services_endpoints(api):
    schema = api.get("/api/schema/?format=json").json()
    assert "/api/subscriptions/{subscription_id}/cancellation" in schema["paths"]
    post = schema["paths"]["/api/subscriptions/{subscription_id}/cancellation"]["post"]
    assert {"202", "400", "404", "409"} <= set(post["responses"])
