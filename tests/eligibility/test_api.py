"""POST /api/me/internet-eligibility."""

from __future__ import annotations

import pytest
import time_machine

from accounts.models import EligibilityStatus
from eligibility.services import request_internet_eligibility
from tests.accounts.support import JPEG, PNG, upload
from tests.conftest import bearer_client
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

ELIGIBILITY_URL = "/api/me/internet-eligibility"
CARD_URL = "/api/me/residence-card"


def _cards(front=None, back=None):
    return {
        "front": front or upload("front.jpg", JPEG),
        "back": back or upload("back.png", PNG, "image/png"),
    }


# --- POST /api/me/internet-eligibility ---


def test_requesting_eligibility_answers_202_with_the_status_object(customer):
    with time_machine.travel("2031-05-06T03:00:00+00:00", tick=False):
        response = bearer_client(customer.user).post(
            ELIGIBILITY_URL,
            {"postalCode": "1500002", "address": "1-2-3 Shibuya, Tokyo"},
            format="json",
        )
    assert response.status_code == 202
    assert response.json() == {
        "status": "pending",
        "requestedAt": "2031-05-06T12:00:00+09:00",
        "checkedAt": None,
        "address": "1-2-3 Shibuya, Tokyo",
        "notes": None,
    }


def test_a_request_while_one_is_pending_is_a_409_with_its_code(api, customer):
    body = {"postalCode": "150-0002", "address": "1-2-3 Shibuya, Tokyo"}
    api.post(ELIGIBILITY_URL, body, format="json")
    response = api.post(ELIGIBILITY_URL, body, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "eligibility_check_pending"


def test_a_bad_postal_code_is_a_400_naming_the_field(api):
    response = api.post(
        ELIGIBILITY_URL, {"postalCode": "150-002", "address": "Tokyo"}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert list(error["fields"]) == ["postalCode"]


def test_missing_fields_are_a_400_naming_them(api):
    response = api.post(ELIGIBILITY_URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"postalCode", "address"}


def test_a_bad_postal_code_and_a_blank_address_are_named_in_one_400(api):
    response = api.post(ELIGIBILITY_URL, {"postalCode": "150", "address": "  "}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"postalCode", "address"}


def test_a_full_width_postal_code_is_accepted_by_the_api(api, customer):
    body = {"postalCode": "\uff11\uff15\uff10\uff0d\uff10\uff10\uff10\uff12", "address": "Tokyo"}
    assert api.post(ELIGIBILITY_URL, body, format="json").status_code == 202
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.postal_code == "150-0002"


def test_malformed_json_is_a_400(api):
    response = api.generic("POST", ELIGIBILITY_URL, b"{nope", content_type="application/json")
    assert response.status_code == 400


def test_requesting_eligibility_changes_only_my_own(api, customer, other_customer):
    request_internet_eligibility(
        customer=other_customer,
        postal_code="153-0063",
        address="Bob's street",
        now=other_customer.created_at,
    )
    response = api.post(
        ELIGIBILITY_URL, {"postalCode": "150-0002", "address": "Alice's street"}, format="json"
    )
    assert response.status_code == 202  # another customer's pending check does not block mine
    other_customer.internet_eligibility.refresh_from_db()
    assert other_customer.internet_eligibility.address == "Bob's street"
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.address == "Alice's street"


def test_eligibility_without_login_is_a_401(anonymous_api, customer):
    response = anonymous_api.post(
        ELIGIBILITY_URL, {"postalCode": "150-0002", "address": "x"}, format="json"
    )
    assert response.status_code == 401
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.status == EligibilityStatus.NOT_REQUESTED


def test_staff_without_a_customer_record_get_a_404():
    staff_api = bearer_client(StaffUserFactory())
    response = staff_api.post(
        ELIGIBILITY_URL, {"postalCode": "150-0002", "address": "x"}, format="json"
    )
    assert response.status_code == 404
