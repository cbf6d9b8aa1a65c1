from __future__ import annotations

import pytest

from support import services
from support.models import SupportRequest
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_the_page_sends_a_request_and_lists_it(browser_client, customer):
    response = browser_client.post(
        "/account/support", {"topic": "account", "message": "Please change my name."}
    )
    assert response.status_code == 302
    stored = SupportRequest.objects.get(customer=customer)
    assert response["Location"] == f"/account/support/{stored.pk}"
    assert stored.topic == "account"
    page = browser_client.get("/account/support")
    assert page.status_code == 200
    assert "Please change my name." in page.content.decode()


def test_a_missing_topic_is_shown_on_the_form(browser_client):
    response = browser_client.post("/account/support", {"topic": "", "message": "Hello"})
    assert response.status_code == 200
    assert "Choose a topic." in response.content.decode()
    assert SupportRequest.objects.count() == 0


def test_replies_show_in_japanese_for_a_japanese_customer(client, customer):
    customer.language = "ja"
    customer.save()
    client.force_login(customer.user)
    created = services.create_support_request(
        customer=customer, topic="billing", message="請求について"
    ).support_request
    services.reply_to_support_request(
        support_request_id=created.pk,
        author=StaffUserFactory(),
        message="ご連絡ありがとうございます。",
        language="ja",
    )
    page = client.get(f"/account/support/{created.pk}").content.decode()
    assert "ご連絡ありがとうございます。" in page
    assert "お客さまのご返信待ち" in page


def test_another_customers_request_is_not_on_the_page(browser_client, other_customer):
    services.create_support_request(customer=other_customer, topic="other", message="Secret")
    assert "Secret" not in browser_client.get("/account/support").content.decode()


def test_without_a_login_the_page_sends_to_login(client):
    response = client.get("/account/support")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
