"""A request is a thread: the customer and staff write in turn, on the API and the page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from support import services
from support.models import SupportMessage, SupportRequest
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def _asked(customer, message="My SIM has no signal.", now=None):  # type: ignore[no-untyped-def]
    return services.create_support_request(
        customer=customer, topic="services", message=message, now=now
    ).support_request


def _reply(support_request, message="Please restart your phone.", now=None):  # type: ignore[no-untyped-def]
    return services.reply_to_support_request(
        support_request_id=support_request.pk,
        author=StaffUserFactory(first_name="Aiko"),
        message=message,
        language="en",
        now=now,
    )


def test_the_thread_shows_every_message_in_turn_with_its_author(api, customer):
    support_request = _asked(customer)
    _reply(support_request)
    response = api.get(f"/api/support/requests/{support_request.pk}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "topic", "status", "createdAt", "updatedAt", "messages"}
    assert body["status"] == "waiting_on_customer"
    assert [(m["author"], m["authorName"], m["body"]) for m in body["messages"]] == [
        ("customer", customer.name, "My SIM has no signal."),
        ("staff", "Aiko", "Please restart your phone."),
    ]
    assert all(m["attachments"] == [] for m in body["messages"])


def test_the_customers_answer_puts_the_request_back_in_the_queue(api, customer):
    support_request = _asked(customer, now=timezone.now() - timedelta(hours=2))
    _reply(support_request)
    response = api.post(
        f"/api/support/requests/{support_request.pk}/messages",
        {"body": "It still has no signal."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["author"] == "customer"
    support_request.refresh_from_db()
    assert support_request.status == "open"
    assert timezone.now() - support_request.last_customer_message_at < timedelta(minutes=1)


def test_a_staff_reply_tells_the_customer_once_per_message(customer):
    support_request = _asked(customer)
    first = _reply(support_request)
    second = _reply(support_request, message="Or try another SIM slot.")
    notifications = Notification.objects.filter(user=customer.user, type="SUPPORT_REPLIED")
    assert sorted(notifications.values_list("source_id", flat=True)) == sorted(
        [str(first.pk), str(second.pk)]
    )
    assert (notifications.first().category, notifications.first().severity) == (  # type: ignore[union-attr]
        "account",
        "info",
    )


def test_a_request_closed_within_30_days_reopens_when_the_customer_writes(api, customer):
    now = timezone.now()
    support_request = _asked(customer, now=now - timedelta(days=40))
    services.close_support_request(
        support_request_id=support_request.pk, now=now - timedelta(days=29)
    )
    response = api.post(
        f"/api/support/requests/{support_request.pk}/messages", {"body": "Again"}, format="json"
    )
    assert response.status_code == 201
    support_request.refresh_from_db()
    assert (support_request.status, support_request.closed_at) == ("open", None)


def test_a_request_closed_over_30_days_ago_is_a_409_and_stores_nothing(api, customer):
    now = timezone.now()
    support_request = _asked(customer, now=now - timedelta(days=40))
    services.close_support_request(
        support_request_id=support_request.pk, now=now - timedelta(days=31)
    )
    response = api.post(
        f"/api/support/requests/{support_request.pk}/messages", {"body": "Again"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "support_request_closed"
    assert SupportMessage.objects.filter(request=support_request).count() == 1
    support_request.refresh_from_db()
    assert support_request.status == "closed"


@pytest.mark.parametrize("body", ["", "   ", "x" * 5001])
def test_an_empty_or_oversize_message_is_a_400_and_stores_nothing(api, customer, body):
    support_request = _asked(customer)
    response = api.post(
        f"/api/support/requests/{support_request.pk}/messages", {"body": body}, format="json"
    )
    assert response.status_code == 400
    assert "body" in response.json()["error"]["fields"]
    assert SupportMessage.objects.filter(request=support_request).count() == 1


def test_the_customer_closes_their_request(api, customer):
    support_request = _asked(customer)
    response = api.post(f"/api/support/requests/{support_request.pk}/close")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert api.post(f"/api/support/requests/{support_request.pk}/close").status_code == 200


def test_another_customers_request_is_a_404_on_every_route(api, other_customer):
    theirs = _asked(other_customer)
    assert api.get(f"/api/support/requests/{theirs.pk}").status_code == 404
    response = api.post(
        f"/api/support/requests/{theirs.pk}/messages", {"body": "Hi"}, format="json"
    )
    assert response.status_code == 404
    assert api.post(f"/api/support/requests/{theirs.pk}/close").status_code == 404
    assert SupportMessage.objects.filter(request=theirs).count() == 1
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_another_customers_request_is_a_404_on_the_pages(browser_client, other_customer):
    theirs = _asked(other_customer, message="Secret")
    assert browser_client.get(f"/account/support/{theirs.pk}").status_code == 404
    assert browser_client.post(f"/account/support/{theirs.pk}", {"body": "Hi"}).status_code == 404
    assert browser_client.post(f"/account/support/{theirs.pk}/close").status_code == 404
    assert SupportRequest.objects.get(pk=theirs.pk).status == "open"


def test_without_a_login_the_thread_routes_are_401(anonymous_api, customer):
    support_request = _asked(customer)
    assert anonymous_api.get(f"/api/support/requests/{support_request.pk}").status_code == 401
    url = f"/api/support/requests/{support_request.pk}/messages"
    assert anonymous_api.post(url, {"body": "Hi"}, format="json").status_code == 401


def test_the_page_shows_the_thread_and_takes_an_answer(browser_client, customer):
    support_request = _asked(customer)
    _reply(support_request)
    page = browser_client.get(f"/account/support/{support_request.pk}").content.decode()
    assert "My SIM has no signal." in page
    assert "Please restart your phone." in page
    response = browser_client.post(
        f"/account/support/{support_request.pk}", {"body": "Still nothing."}
    )
    assert response.status_code == 302
    assert list(support_request.messages.values_list("body", flat=True)) == [
        "My SIM has no signal.",
        "Please restart your phone.",
        "Still nothing.",
    ]


def test_an_empty_answer_on_the_page_is_shown_on_the_form(browser_client, customer):
    support_request = _asked(customer)
    response = browser_client.post(f"/account/support/{support_request.pk}", {"body": "  "})
    assert response.status_code == 200
    assert "Write your message." in response.content.decode()
    assert support_request.messages.count() == 1


def test_the_page_closes_the_request(browser_client, customer):
    support_request = _asked(customer)
    response = browser_client.post(f"/account/support/{support_request.pk}/close")
    assert response.status_code == 302
    support_request.refresh_from_db()
    assert support_request.status == "closed"


def test_the_queue_waits_from_the_customers_last_message(customer, other_customer):
    from support.selectors import open_support_requests

    now = timezone.now()
    early = _asked(customer, now=now - timedelta(hours=5))
    late = _asked(other_customer, now=now - timedelta(hours=3))
    _reply(early, now=now - timedelta(hours=2))
    services.post_customer_message(
        customer=customer, support_request_id=early.pk, body="Thanks, but no.", now=now
    )
    assert list(open_support_requests()) == [late, early]


def test_the_admin_request_page_shows_the_reply_text_and_a_reply_form(client, customer):
    from staff.services import make_support_member
    from tests.factories import UserFactory

    client.force_login(make_support_member(user=UserFactory(email="agent@example.com")))
    support = client
    support_request = _asked(customer)
    _reply(support_request, message="We reset your line.")
    page = support.get(f"/admin/support/supportrequest/{support_request.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "My SIM has no signal." in html
    assert "We reset your line." in html
    assert f"/admin/support/supportrequest/{support_request.pk}/reply/" in html
    assert 'name="message"' in html


def test_the_same_answer_sent_twice_is_one_message(api, customer):
    support_request = _asked(customer)
    url = f"/api/support/requests/{support_request.pk}/messages"
    first = api.post(url, {"body": "Thanks!"}, format="json")
    second = api.post(url, {"body": "Thanks!"}, format="json")
    assert first.json()["id"] == second.json()["id"]
    assert support_request.messages.filter(body="Thanks!").count() == 1


def test_a_canned_reply_starts_the_reply_in_the_customers_language(client, customer):
    from staff.services import make_support_member
    from support.models import CannedReply
    from tests.factories import UserFactory

    customer.language = "ja"
    customer.save(update_fields=["language"])
    canned = CannedReply.objects.create(
        title="Restart", body_en="Please restart.", body_ja="再起動をお試しください。"
    )
    client.force_login(make_support_member(user=UserFactory(email="agent@example.com")))
    support_request = _asked(customer)
    page = client.get(f"/admin/support/supportrequest/{support_request.pk}/change/")
    assert f"reply/?canned={canned.pk}" in page.content.decode()
    form = client.get(
        f"/admin/support/supportrequest/{support_request.pk}/reply/?canned={canned.pk}"
    ).context["form"]
    assert form.initial == {"language": "ja", "message": "再起動をお試しください。"}
