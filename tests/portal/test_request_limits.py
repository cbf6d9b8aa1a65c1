"""What the API refuses before doing work, and the headers it always sends: oversized JSON,
oversized uploads, unknown paths, edited cursors, Cache-Control."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from django.core.files.storage import storages

from accounts.models import ResidenceCardVerification
from tests.accounts.support import JPEG, upload

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


# --- Bodies -----------------------------------------------------------------------------------


def test_json_over_a_megabyte_is_a_413_not_parsed(anonymous_api):
    nested = b"[" * (2 * MB)  # parsing this costs seconds and memory; it is never parsed
    response = anonymous_api.generic(
        "POST", "/api/auth/token", nested, content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_a_declared_length_over_the_limit_is_refused_before_reading(anonymous_api):
    response = anonymous_api.generic(
        "POST",
        "/api/auth/token",
        b'{"email": "a@example.com"}',
        content_type="application/json",
        CONTENT_LENGTH=str(21 * MB),
    )
    assert response.status_code == 413


def test_json_under_the_limit_is_read_as_before(api):
    body = json.dumps({"planCode": "x" * (MB // 2)}).encode()
    response = api.generic("POST", "/api/orders", body, content_type="application/json")
    assert response.status_code == 400  # no such plan: the body was parsed and validated


def test_an_upload_over_10_mb_is_refused_as_a_400_naming_the_file(api):
    response = api.post(
        "/api/me/residence-card",
        {"front": upload("front.jpg", JPEG + b"\x00" * (10 * MB)), "back": upload("b.jpg", JPEG)},
        format="multipart",
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["front"]
    assert not ResidenceCardVerification.objects.exclude(front_image="").exists()


def test_an_upload_request_larger_than_two_files_is_refused_before_reading(api):
    response = api.generic(
        "POST",
        "/api/me/residence-card",
        b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(120 * MB),
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "The file is larger than 10 MB. Choose a smaller photo or scan."),
        ("ja", "ファイルが10MBを超えています。"),
    ],
)
def test_a_20_mb_card_on_the_page_gets_the_form_again_with_the_size_message(
    browser_client, customer, language, message
):
    customer.language = language
    customer.save()
    # Over 10 MB for one file, under the 21 MB of the whole request.
    response = browser_client.post(
        "/account/verification",
        {"front": upload("front.jpg", JPEG + b"\x00" * (20 * MB)), "back": upload("b.jpg", JPEG)},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'name="front"' in html and 'name="back"' in html  # the form, to choose again
    assert not ResidenceCardVerification.objects.exclude(front_image="").exists()


def test_residence_cards_are_readable_by_the_portal_only(api, settings, tmp_path, monkeypatch):
    configured = settings.STORAGES["private"]
    storage = storages.create_storage(
        {**configured, "OPTIONS": {**configured["OPTIONS"], "location": str(tmp_path / "cards")}}
    )
    for name in ("front_image", "back_image"):
        monkeypatch.setattr(ResidenceCardVerification._meta.get_field(name), "storage", storage)

    response = api.post(
        "/api/me/residence-card",
        {"front": upload("f.jpg", JPEG), "back": upload("b.jpg", JPEG)},
        format="multipart",
    )

    assert response.status_code == 202
    stored = [path for path in (tmp_path / "cards").rglob("*")]
    files = [path for path in stored if path.is_file()]
    folders = [tmp_path / "cards", *(path for path in stored if path.is_dir())]
    assert len(files) == 2
    assert {stat.S_IMODE(path.stat().st_mode) for path in files} == {0o600}
    assert {stat.S_IMODE(Path(path).stat().st_mode) for path in folders} == {0o700}


# --- Unknown paths and methods ------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_an_unknown_api_path_is_a_json_404_with_debug_on_or_off(client, settings, debug, method):
    settings.DEBUG = debug
    response = getattr(client, method)("/api/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_a_method_the_path_does_not_allow_is_a_405(api, settings, debug):
    settings.DEBUG = debug
    response = api.delete("/api/me")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# --- Cursors ------------------------------------------------------------------------------------


def _edited_cursor() -> str:
    raw = json.dumps(["2026-01-01T00:00:00-16:00", 1]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "path", ["/api/orders", "/api/notifications", "/api/invoices", "/api/subscriptions"]
)
def test_an_edited_cursor_is_a_400_on_every_list(api, path):
    response = api.get(path, {"cursor": _edited_cursor()})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"cursor": ["This cursor is not valid."]}


@pytest.mark.parametrize("path", ["/account/orders", "/account/notifications"])
def test_an_edited_cursor_on_a_page_starts_again_from_the_newest(browser_client, path):
    response = browser_client.get(path, {"cursor": _edited_cursor()})
    assert response.status_code in (200, 302)


@pytest.mark.postgres
def test_a_cursor_handed_out_still_pages_on(api, customer):
    from tests.factories import OrderFactory

    for _ in range(3):
        OrderFactory(customer=customer, status="activated")
    first = api.get("/api/orders", {"limit": 2}).json()
    second = api.get("/api/orders", {"limit": 2, "cursor": first["nextCursor"]}).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 1
    assert second["nextCursor"] is None


# --- Cache-Control ------------------------------------------------------------------------------


def test_authenticated_api_answers_are_private_and_revalidated(api):
    assert api.get("/api/me")["Cache-Control"] == "private, no-cache"


def test_account_pages_are_never_stored(browser_client):
    directives = {
        part.strip() for part in browser_client.get("/account/")["Cache-Control"].split(",")
    }
    assert {"private", "no-store"} <= directives


def test_429_answers_say_when_to_come_back(anonymous_api, customer, settings):
    settings.LOGIN_FAILURE_LIMIT = 1
    for _ in range(2):
        response = anonymous_api.post(
            "/api/auth/token", {"email": customer.user.email, "password": "x"}, format="json"
        )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
