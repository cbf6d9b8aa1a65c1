"""The eligibility page, /account/eligibility."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import EligibilityStatus, VerificationStatus
from eligibility.services import record_eligibility_result, request_internet_eligibility
from tests.accounts.support import JPEG, PNG, upload
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def _cards(front=None, back=None):
    return {
        "front": front or upload("front.jpg", JPEG),
        "back": back or upload("back.png", PNG, "image/png"),
    }


def test_the_page_sends_anonymous_visitors_to_login(client):
    page = "/account/eligibility"
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={page}"


def test_posting_without_login_changes_nothing(client, customer):
    page = "/account/eligibility"
    response = client.post(page, {"postal_code": "150-0002", "address": "x", **_cards()})
    assert response.status_code == 302
    customer.internet_eligibility.refresh_from_db()
    customer.residence_card_verification.refresh_from_db()
    assert customer.internet_eligibility.status == EligibilityStatus.NOT_REQUESTED
    assert customer.residence_card_verification.status == VerificationStatus.NOT_SUBMITTED


def test_staff_without_a_customer_record_get_a_404(client):
    page = "/account/eligibility"
    client.force_login(StaffUserFactory())
    assert client.get(page).status_code == 404


# --- /account/eligibility ---


def test_the_eligibility_page_offers_the_form_when_never_requested(browser_client):
    response = browser_client.get("/account/eligibility")
    assert response.status_code == 200
    assert b'name="postal_code"' in response.content
    assert b'name="address"' in response.content
    assert b'autocomplete="postal-code"' in response.content


def test_requesting_eligibility_from_the_page_makes_it_pending(browser_client, customer):
    response = browser_client.post(
        "/account/eligibility", {"postal_code": "1500002", "address": "1-2-3 Shibuya"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/eligibility"
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.status == EligibilityStatus.PENDING
    assert customer.internet_eligibility.postal_code == "150-0002"
    page = browser_client.get("/account/eligibility")
    assert b"We are checking your address" in page.content  # the flash message
    assert b'name="postal_code"' not in page.content  # no second request while pending
    assert b"1-2-3 Shibuya" in page.content


def test_a_bad_postal_code_keeps_what_was_typed_and_says_why(browser_client, customer):
    response = browser_client.post(
        "/account/eligibility", {"postal_code": "150-02", "address": "4-5-6 Meguro, Tokyo"}
    )
    assert response.status_code == 200
    assert b"Enter a Japanese postal code" in response.content
    assert b'value="150-02"' in response.content
    assert b'value="4-5-6 Meguro, Tokyo"' in response.content
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.status == EligibilityStatus.NOT_REQUESTED


def test_a_request_sent_while_one_is_pending_is_refused_with_a_message(browser_client, customer):
    request_internet_eligibility(
        customer=customer, postal_code="150-0002", address="First", now=timezone.now()
    )
    response = browser_client.post(
        "/account/eligibility", {"postal_code": "153-0063", "address": "Second"}
    )
    assert response.status_code == 200
    assert b"still checking the address you sent" in response.content
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.address == "First"


def test_the_result_and_notes_are_shown_once_checked(browser_client, customer):
    request_internet_eligibility(
        customer=customer, postal_code="150-0002", address="1-2-3 Shibuya", now=timezone.now()
    )
    record_eligibility_result(
        customer=customer, status="ineligible", notes="No fiber here yet.", now=timezone.now()
    )
    response = browser_client.get("/account/eligibility")
    assert b"Not available" in response.content
    assert b"No fiber here yet." in response.content
    assert b"Check another address" in response.content


def test_the_eligibility_page_shows_only_my_own(browser_client, other_customer):
    request_internet_eligibility(
        customer=other_customer, postal_code="153-0063", address="Bob Street", now=timezone.now()
    )
    record_eligibility_result(
        customer=other_customer, status="eligible", notes="Bob's notes", now=timezone.now()
    )
    response = browser_client.get("/account/eligibility")
    assert b"Bob Street" not in response.content
    assert b"Bob&#x27;s notes" not in response.content
    assert b"Not requested" in response.content


def test_the_page_carries_no_inline_script_or_style(browser_client):
    html = browser_client.get("/account/eligibility").content.decode()
    assert "<script>" not in html
    assert " style=" not in html


FULL_WIDTH_POSTAL_CODE = "\uff11\uff15\uff10\u30fc\uff10\uff10\uff10\uff12"  # １５０ー０００２


def test_a_full_width_postal_code_is_accepted(browser_client, customer):
    response = browser_client.post(
        "/account/eligibility", {"postal_code": FULL_WIDTH_POSTAL_CODE, "address": "1-2-3 Shibuya"}
    )
    assert response["Location"] == "/account/eligibility"
    customer.internet_eligibility.refresh_from_db()
    assert customer.internet_eligibility.postal_code == "150-0002"


@pytest.mark.parametrize(
    ("language", "postal_error", "address_error"),
    [
        ("en", "Enter a Japanese postal code", "Enter the address to check."),
        ("ja", "7桁の郵便番号を入力してください", "確認する住所を入力してください。"),
    ],
)
def test_a_bad_postal_code_and_a_missing_address_are_shown_at_once(
    browser_client, customer, language, postal_error, address_error
):
    customer.language = language
    customer.save()
    response = browser_client.post("/account/eligibility", {"postal_code": "150", "address": ""})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"postal_code", "address"}
    page = response.content.decode()
    assert postal_error in page
    assert address_error in page
