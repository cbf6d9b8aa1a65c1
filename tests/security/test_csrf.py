"""CSRF protection on every form and on the API's browser session.

Django's test client skips CSRF checks unless asked; these tests ask. Every page route of the
project (the same list the authorization matrix walks) refuses a POST without a token, and
accepts the same POST with one, so the 403 is the token's doing and not the route's.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Customer
from tests.factories import PASSWORD, CustomerFactory, StaffUserFactory
from tests.orders.support import ready_to_order, sim_plan
from tests.security.test_authorization_matrix import MATRIX, PROJECT_URLS, Route

pytestmark = pytest.mark.django_db

PAGE_ROUTES = sorted(key for key, route in MATRIX.items() if not route.api)
FORM_ROUTES = sorted(
    key for key in PAGE_ROUTES if any(probe.method == "POST" for probe in MATRIX[key].probes)
)


def _path(key: str, route: Route, owner: Customer) -> str:
    if key.startswith("<"):
        return "/" + PROJECT_URLS[key].route
    return reverse(key, kwargs=route.objects(owner))


def _csrf_client(user: Any = None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def _token(client: Client) -> str:
    """The CSRF cookie, as a browser gets it from any page with a form."""
    logged_in = "_auth_user_id" in client.session
    client.get("/account/notifications" if logged_in else "/login")
    return client.cookies["csrftoken"].value


@pytest.mark.parametrize("key", PAGE_ROUTES)
def test_a_post_without_a_token_is_refused_on_every_page(key: str) -> None:
    owner = CustomerFactory()
    path = _path(key, MATRIX[key], owner)
    response = _csrf_client(owner.user).post(path, {})
    assert response.status_code == 403, f"POST {path}: {response.status_code}"


@pytest.mark.parametrize("key", FORM_ROUTES)
def test_the_same_form_with_its_token_gets_through(key: str) -> None:
    owner = CustomerFactory()
    route = MATRIX[key]
    path = _path(key, route, owner)
    [probe] = [probe for probe in route.probes if probe.method == "POST"]
    client = _csrf_client(owner.user)
    data = {**probe.data(owner), "csrfmiddlewaretoken": _token(client)}
    response = client.post(path, data)
    assert response.status_code != 403, f"POST {path}: {response.content[:200]!r}"
    probe.owner.check(response, path)


def test_the_login_form_needs_a_token_before_anyone_is_logged_in() -> None:
    customer = CustomerFactory()
    client = _csrf_client()
    credentials = {"email": customer.user.email, "password": PASSWORD}
    assert client.post("/login", credentials).status_code == 403
    response = client.post("/login", {**credentials, "csrfmiddlewaretoken": _token(client)})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_api_with_a_browser_session_needs_the_token(customer: Customer) -> None:
    ready_to_order(customer)
    client = _csrf_client(customer.user)
    body = {"planCode": sim_plan().code}
    refused = client.post("/api/orders", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    # htmx sends the token in a header, as the portal's pages configure it.
    accepted = client.post(
        "/api/orders", body, content_type="application/json", HTTP_X_CSRFTOKEN=_token(client)
    )
    assert accepted.status_code == 201


def test_a_bearer_token_is_not_ambient_so_it_needs_no_csrf_token(api: Any) -> None:
    api.handler.enforce_csrf_checks = True
    assert api.post("/api/notifications/read-all").status_code == 200


def test_admin_forms_need_the_token_too() -> None:
    client = _csrf_client(StaffUserFactory())
    assert client.post("/admin/logout/").status_code == 403
    assert client.post("/admin/orders/order/", {"action": "approve_orders"}).status_code == 403
