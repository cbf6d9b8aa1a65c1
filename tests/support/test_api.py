from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from support import services
from support.models import SupportRequest
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_a_customer_asks_for_help_and_it_waits_open(api, customer):
    response = api.post(
        "/api/support/requests",
        {"topic": "billing", "message": "Why was I charged twice?"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "topic", "status", "createdAt"}
    assert body["topic"] == "billing"
    assert body["status"] == "open"
    stored = SupportRequest.objects.get(pk=body["id"])
    assert stored.customer == customer
    (message,) = stored.messages.all()
    assert (message.author_kind, message.body) == ("customer", "Why was I charged twice?")


def test_the_same_message_sent_twice_is_one_request(api):
    payload = {"topic": "orders", "message": "When is my installation?"}
    first = api.post("/api/support/requests", payload, format="json")
    second = api.post("/api/support/requests", payload, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert SupportRequest.objects.count() == 1


def test_an_unknown_topic_or_an_empty_message_is_a_400_naming_the_field(api):
    response = api.post("/api/support/requests", {"topic": "x", "message": ""}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"topic", "message"}


def test_the_list_shows_staff_replies_in_the_language_they_are_written_in(api, customer):
    created = services.create_support_request(
        customer=customer, topic="services", message="My SIM has no signal."
    ).support_request
    staff = StaffUserFactory()
    services.reply_to_support_request(
        support_request_id=created.pk,
        author=staff,
        message="SIMカードを挿し直してください。",
        language="ja",
    )
    response = api.get("/api/support/requests")
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item["status"] == "waiting_on_customer"
    assert item["message"] == "My SIM has no signal."
    (reply,) = item["replies"]
    assert reply["message"] == "SIMカードを挿し直してください。"
    assert reply["language"] == "ja"
    assert response.json()["nextCursor"] is None


def test_the_list_is_newest_first_and_paged(api, customer):
    now = timezone.now()
    for days in (3, 2, 1):
        services.create_support_request(
            customer=customer,
            topic="other",
            message=f"Question {days}",
            now=now - timedelta(days=days),
        )
    first = api.get("/api/support/requests?limit=2").json()
    assert [item["message"] for item in first["items"]] == ["Question 1", "Question 2"]
    second = api.get(f"/api/support/requests?limit=2&cursor={first['nextCursor']}").json()
    assert [item["message"] for item in second["items"]] == ["Question 3"]


def test_other_customers_requests_are_not_listed(api, other_customer):
    services.create_support_request(customer=other_customer, topic="other", message="Mine")
    assert api.get("/api/support/requests").json()["items"] == []


def test_without_a_login_it_is_401(anonymous_api):
    assert anonymous_api.get("/api/support/requests").status_code == 401
    response = anonymous_api.post(
        "/api/support/requests", {"topic": "other", "message": "Hi"}, format="json"
    )
    assert response.status_code == 401


def test_staff_queue_holds_open_requests_oldest_first(customer, other_customer):
    from support.selectors import open_support_requests

    now = timezone.now()
    newer = services.create_support_request(
        customer=customer, topic="other", message="Newer", now=now
    ).support_request
    older = services.create_support_request(
        customer=other_customer, topic="other", message="Older", now=now - timedelta(hours=1)
    ).support_request
    closed = services.create_support_request(
        customer=customer, topic="billing", message="Done", now=now - timedelta(hours=2)
    ).support_request
    services.close_support_request(support_request_id=closed.pk)
    assert list(open_support_requests()) == [older, newer]


def test_a_message_that_is_not_text_is_a_400(api):
    response = api.post("/api/support/requests", {"topic": "billing", "message": 0}, format="json")
    assert response.status_code == 400
    assert "message" in response.json()["error"]["fields"]
