"""The database unreachable is a 503 (API.md "Third wave"): `service_unavailable` in the error
shape on the API, the branded 503 page on pages, in the reader's language; never a 500.

The database fails here as it does while PostgreSQL restarts (every statement refused), on
the connection the request uses; a web process whose database is gone for real is in
tests/reliability/test_database_outage.py.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import bearer_client
from tests.factories import PASSWORD
from tests.reliability.support import database_fails_on

pytestmark = pytest.mark.django_db


def test_an_api_call_while_the_database_is_down_is_a_503_service_unavailable(customer):
    api = bearer_client(customer.user)
    with database_fails_on() as failed:
        response = api.get("/api/me")
    assert failed  # the request did meet the database
    assert response.status_code == 503
    assert response.json() == {
        "error": {
            "code": "service_unavailable",
            "message": "The service is unavailable for a moment. Please try again shortly.",
        }
    }


def test_a_login_while_the_database_is_down_is_a_503_in_the_error_shape(customer):
    credentials = {"email": customer.user.email, "password": PASSWORD}
    with database_fails_on():
        response = Client().post("/api/auth/token", credentials, content_type="application/json")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"


def test_the_api_speaks_the_callers_language_while_the_database_is_down(customer):
    api = bearer_client(customer.user)
    with database_fails_on():
        response = api.get("/api/me", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 503
    assert response.json()["error"]["message"] == (
        "ただいまサービスを一時的にご利用いただけません。しばらくしてからもう一度お試しください。"
    )


def test_a_page_whose_session_cannot_be_read_is_the_branded_503_page(customer):
    # The session is read by a middleware (the customer's language), before any view.
    page = Client(raise_request_exception=False)
    page.force_login(customer.user)
    with database_fails_on():
        response = page.get("/account/?tab=1")
    assert response.status_code == 503
    html = response.content.decode()
    assert "The portal is briefly unavailable" in html
    assert 'href="/account/?tab=1"' in html  # try the same page again
    assert "Server Error" not in html


def test_a_page_whose_view_meets_the_lost_database_is_the_503_page_in_japanese(customer):
    form = {"email": customer.user.email, "password": PASSWORD}
    with database_fails_on():
        response = Client().post("/login", form, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 503
    html = response.content.decode()
    assert '<html lang="ja">' in html
    assert "ただいまポータルを一時的にご利用いただけません" in html
