from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_account_pages_send_anonymous_visitors_to_login_with_next(client):
    response = client.get("/account/?from=email")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/account/%3Ffrom%3Demail"


def test_dashboard_redirects_to_login_with_next(client):
    response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/account/"


def test_login_page_renders(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert b'name="email"' in response.content


def test_login_then_lands_on_next(client, customer):
    response = client.post(
        "/login?next=/account/notifications",
        {"email": customer.user.email, "password": PASSWORD, "next": "/account/notifications"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/notifications"


def test_login_never_redirects_to_another_site(client, customer):
    response = client.post(
        "/login",
        {"email": customer.user.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/account/"


def test_wrong_password_keeps_the_email_and_says_so(client, customer):
    response = client.post("/login", {"email": customer.user.email, "password": "wrong"})
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert customer.user.email.encode() in response.content


def test_login_page_is_throttled_too(client, customer, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/login", {"email": customer.user.email, "password": "wrong"})
    response = client.post("/login", {"email": customer.user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_needs_a_post_and_ends_the_session(browser_client):
    assert browser_client.get("/logout").status_code == 405
    response = browser_client.post("/logout")
    assert response["Location"] == "/login"
    assert browser_client.get("/account/").status_code == 302


def test_the_shell_shows_the_customer_name_and_navigation(browser_client):
    response = browser_client.get("/account/")
    assert response.status_code == 200
    for label in (
        b"Dashboard",
        b"Orders",
        b"Services",
        b"Billing",
        b"Notifications",
        b"Alice Example",
    ):
        assert label in response.content


def test_switching_language_is_remembered(browser_client, customer):
    response = browser_client.post("/account/language", {"language": "ja", "next": "/account/"})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.language == "ja"
    assert browser_client.get("/account/")["Content-Language"] == "ja"
