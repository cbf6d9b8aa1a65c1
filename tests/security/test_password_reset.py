"""Password reset: Django's token flow, answering the same for every email so accounts cannot be
enumerated, and rate limited so the form cannot flood an inbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Customer
from tests.factories import PASSWORD, CustomerFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-new-passphrase-42"


def _ask(client: Client, email: str, address: str = "192.0.2.10") -> Any:
    return client.post("/password-reset", {"email": email}, REMOTE_ADDR=address)


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+)", message.body)
    assert found, message.body
    return found.group(1)


def test_the_login_page_offers_the_reset(client):
    assert b'href="/password-reset"' in client.get("/login").content


def test_a_customer_resets_their_password_with_the_mailed_link(client, customer: Customer):
    response = _ask(client, customer.user.email.upper())  # emails match whatever their case
    assert response.status_code == 302
    assert response["Location"] == "/password-reset/sent"

    [message] = mail.outbox
    assert message.to == [customer.user.email]
    form_page = client.get(_link(message), follow=True)
    assert b'name="new_password1"' in form_page.content
    set_password_url = form_page.redirect_chain[-1][0]  # the token left the address bar
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == "/password-reset/done"

    customer.user.refresh_from_db()
    assert customer.user.check_password(NEW_PASSWORD)
    assert not customer.user.check_password(PASSWORD)


def test_a_link_works_once(client, customer: Customer):
    _ask(client, customer.user.email)
    link = _link(mail.outbox[0])
    set_password_url = client.get(link)["Location"]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client().get(link, follow=True)
    assert "This link no longer works" in again.content.decode()
    assert b'name="new_password1"' not in again.content


def test_an_unknown_email_gets_exactly_the_same_answer_and_no_mail(client, customer: Customer):
    known = _ask(client, customer.user.email)
    unknown = _ask(Client(), "nobody@example.com")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [message.to for message in mail.outbox] == [[customer.user.email]]
    page = client.get(known["Location"]).content.decode()
    assert "If an account uses this address" in page


def test_asking_again_within_minutes_sends_nothing_more_and_says_nothing_different(
    client, customer: Customer
):
    first, second = _ask(client, customer.user.email), _ask(client, customer.user.email)
    assert first["Location"] == second["Location"] == "/password-reset/sent"
    assert len(mail.outbox) == 1


def test_one_address_asking_for_many_emails_is_slowed_down(client):
    customers = [CustomerFactory() for _ in range(22)]
    for customer in customers:
        assert _ask(client, customer.user.email)["Location"] == "/password-reset/sent"
    assert len(mail.outbox) == 20  # the rest were answered alike, and not sent


def test_a_reset_lifts_the_login_throttle_of_the_account(client, customer: Customer, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/login", {"email": customer.user.email, "password": "wrong"})
    assert (
        client.post("/login", {"email": customer.user.email, "password": PASSWORD}).status_code
        == 429
    )

    _ask(client, customer.user.email)
    set_password_url = client.get(_link(mail.outbox[0]))["Location"]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    response = Client().post("/login", {"email": customer.user.email, "password": NEW_PASSWORD})
    assert response.status_code == 302


def test_a_weak_new_password_is_refused_with_the_reason(client, customer: Customer):
    _ask(client, customer.user.email)
    set_password_url = client.get(_link(mail.outbox[0]))["Location"]
    response = client.post(set_password_url, {"new_password1": "12345", "new_password2": "12345"})
    assert response.status_code == 200
    assert "This password is too short." in response.content.decode()
    customer.user.refresh_from_db()
    assert customer.user.check_password(PASSWORD)
