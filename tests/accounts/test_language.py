"""The language switches: on the login page for visitors, in the header for customers."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_visitor_chooses_a_language_for_this_browser(client):
    response = client.post("/language", {"language": "ja", "next": "/login?next=/account/orders"})
    assert response.status_code == 302
    assert response["Location"] == "/login?next=/account/orders"
    assert response.cookies["django_language"].value == "ja"
    assert "アカウントにログイン" in client.get("/login").content.decode()


def test_the_visitors_switch_ignores_other_sites_and_unknown_languages(client):
    response = client.post("/language", {"language": "fr", "next": "https://evil.example/"})
    assert response["Location"] == "/login"
    assert "django_language" not in response.cookies


def test_the_visitors_switch_takes_only_posts(client):
    assert client.get("/language?language=ja").status_code == 405


def test_a_language_chosen_before_logging_in_becomes_the_customers(client, customer):
    assert customer.language == "en"
    client.post("/language", {"language": "ja", "next": "/login"})
    response = client.post("/login", {"email": customer.user.email, "password": PASSWORD})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.language == "ja"
    assert response.cookies["django_language"].value == "ja"


def test_without_a_choice_the_login_keeps_the_customers_language(client, customer):
    customer.language = "ja"
    customer.save(update_fields=["language"])
    response = client.post(
        "/login",
        {"email": customer.user.email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    customer.refresh_from_db()
    assert customer.language == "ja"
    # The browser learns it, so the login page speaks Japanese again after logging out.
    assert response.cookies["django_language"].value == "ja"
    client.post("/logout")
    assert "ログアウトしました。" in client.get("/login").content.decode()


def test_a_choice_is_used_once(client, customer, other_customer):
    client.post("/language", {"language": "ja", "next": "/login"})
    client.post("/login", {"email": customer.user.email, "password": PASSWORD})
    client.post("/logout")
    client.post("/login", {"email": other_customer.user.email, "password": PASSWORD})
    other_customer.refresh_from_db()
    assert other_customer.language == "en"


def test_the_header_switch_changes_the_customers_language(browser_client, customer):
    response = browser_client.post(
        "/account/language", {"language": "ja", "next": "/account/services"}
    )
    assert response["Location"] == "/account/services"
    assert response.cookies["django_language"].value == "ja"
    customer.refresh_from_db()
    assert customer.language == "ja"
    assert "ご利用中のサービス" in browser_client.get("/account/services").content.decode()


def test_the_header_switch_needs_a_login(client):
    response = client.post("/account/language", {"language": "ja"})
    assert response.status_code == 302
    assert response["Location"].startswith("/login")
