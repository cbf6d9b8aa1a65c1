"""ETag and If-None-Match on the dashboard reads: a 304 while nothing changed, never after."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from billing.models import InvoiceStatus
from notifications.services.notify import notify
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db

PATHS = ["/api/me/status", "/api/me/summary"]


@pytest.mark.parametrize("path", PATHS)
def test_the_same_answer_again_is_a_304_without_a_body(api, path):
    first = api.get(path)
    assert first.status_code == 200
    etag = first["ETag"]
    assert etag.startswith('"')

    again = api.get(path, HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag


@pytest.mark.parametrize("path", PATHS)
def test_a_write_changes_the_etag(api, customer, path):
    etag = api.get(path)["ETag"]
    notify(
        user=customer.user,
        type="SYSTEM_ANNOUNCEMENT",
        source_id=1,
        context={"title": "Maintenance", "message": "Tonight.", "announcement_id": 1},
    )

    response = api.get(path, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_time_passing_changes_the_etag_when_the_answer_changes(browser_client, customer):
    InvoiceFactory(customer=customer, status=InvoiceStatus.UNPAID, due_date=timezone.localdate())
    etag = browser_client.get("/api/me/status")["ETag"]

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = browser_client.get("/api/me/status", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_another_customers_etag_is_not_ours(api, other_api):
    theirs = other_api.get("/api/me/status")["ETag"]
    response = api.get("/api/me/status", HTTP_IF_NONE_MATCH=theirs)
    assert response.status_code in (200, 304)
    # Same data shape for two empty customers may give the same bytes; never someone's data.
    assert response.status_code == 304 or response.json()["summary"]


def test_a_list_of_etags_and_weak_tags_match(api):
    etag = api.get("/api/me/summary")["ETag"]
    response = api.get("/api/me/summary", HTTP_IF_NONE_MATCH=f'"other", W/{etag}')
    assert response.status_code == 304


def test_no_login_is_a_401_whatever_the_etag(anonymous_api):
    response = anonymous_api.get("/api/me/status", HTTP_IF_NONE_MATCH="*")
    assert response.status_code == 401


@pytest.mark.parametrize("path", PATHS)
def test_the_304_keeps_the_etag_and_stays_private(api, path):
    first = api.get(path)
    assert first["Cache-Control"] == "private, no-cache"

    again = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])

    assert again.status_code == 304
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "private, no-cache"


def test_the_browser_session_gets_the_same_304(browser_client):
    etag = browser_client.get("/api/me/status")["ETag"]
    again = browser_client.get("/api/me/status", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, no-cache"
