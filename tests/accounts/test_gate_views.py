from __future__ import annotations

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import EligibilityStatus, VerificationStatus
from tests.accounts.support import JPEG, PNG, upload
from tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def _cards(front=None, back=None):
    return {
        "front": front or upload("front.jpg", JPEG),
        "back": back or upload("back.png", PNG, "image/png"),
    }


@pytest.mark.parametrize("page", ["/account/eligibility", "/account/verification"])
def test_pages_send_anonymous_visitors_to_login(client, page):
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={page}"


@pytest.mark.parametrize("page", ["/account/eligibility", "/account/verification"])
def test_posting_without_login_changes_nothing(client, customer, page):
    response = client.post(page, {"postal_code": "150-0002", "address": "x", **_cards()})
    assert response.status_code == 302
    customer.internet_eligibility.refresh_from_db()
    customer.residence_card_verification.refresh_from_db()
    assert customer.internet_eligibility.status == EligibilityStatus.NOT_REQUESTED
    assert customer.residence_card_verification.status == VerificationStatus.NOT_SUBMITTED


@pytest.mark.parametrize("page", ["/account/eligibility", "/account/verification"])
def test_staff_without_a_customer_record_get_a_404(client, page):
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


def test_a_request_sent_while_one_is_pending_is_refused_with_a_message(browser_client, customer):
    services.request_internet_eligibility(
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
    services.request_internet_eligibility(
        customer=customer, postal_code="150-0002", address="1-2-3 Shibuya", now=timezone.now()
    )
    services.record_eligibility_result(
        customer=customer, status="ineligible", notes="No fiber here yet.", now=timezone.now()
    )
    response = browser_client.get("/account/eligibility")
    assert b"Not available" in response.content
    assert b"No fiber here yet." in response.content
    assert b"Check another address" in response.content


def test_the_eligibility_page_shows_only_my_own(browser_client, other_customer):
    services.request_internet_eligibility(
        customer=other_customer, postal_code="153-0063", address="Bob Street", now=timezone.now()
    )
    services.record_eligibility_result(
        customer=other_customer, status="eligible", notes="Bob's notes", now=timezone.now()
    )
    response = browser_client.get("/account/eligibility")
    assert b"Bob Street" not in response.content
    assert b"Bob&#x27;s notes" not in response.content
    assert b"Not requested" in response.content


# --- /account/verification ---


def test_the_verification_form_uploads_both_sides_as_multipart(browser_client):
    response = browser_client.get("/account/verification")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert html.count('accept="image/jpeg,image/png,application/pdf') == 2
    assert 'name="front"' in html and 'name="back"' in html


def test_uploading_from_the_page_puts_the_card_in_review(browser_client, customer):
    response = browser_client.post("/account/verification", _cards())
    assert response.status_code == 302
    customer.residence_card_verification.refresh_from_db()
    assert customer.residence_card_verification.status == VerificationStatus.PENDING
    page = browser_client.get("/account/verification")
    assert b"We are reviewing your residence card" in page.content
    assert b'name="front"' not in page.content


def test_a_wrong_file_type_is_shown_next_to_its_field(browser_client, customer):
    response = browser_client.post(
        "/account/verification", _cards(back=upload("back.jpg", b"plain text"))
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"back": ["Upload a JPEG, PNG or PDF file."]}
    assert b"choose both sides again" in response.content
    customer.residence_card_verification.refresh_from_db()
    assert customer.residence_card_verification.status == VerificationStatus.NOT_SUBMITTED


def test_a_missing_side_is_shown_next_to_its_field(browser_client):
    response = browser_client.post("/account/verification", {"front": upload("f.jpg", JPEG)})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["back"]


def test_a_rejected_customer_sees_the_reason_and_can_upload_again(browser_client, customer):
    services.review_residence_card(
        customer=customer,
        status="rejected",
        reviewer=None,
        rejection_reason="The photo of the back side is unreadable.",
        now=timezone.now(),
    )
    page = browser_client.get("/account/verification")
    assert b"The photo of the back side is unreadable." in page.content
    assert b"Upload your residence card again" in page.content
    assert browser_client.post("/account/verification", _cards()).status_code == 302
    customer.residence_card_verification.refresh_from_db()
    assert customer.residence_card_verification.status == VerificationStatus.PENDING


def test_a_verified_customer_sees_the_expiry_and_no_form(browser_client, customer):
    services.review_residence_card(
        customer=customer,
        status="verified",
        reviewer=None,
        card_expires_on=timezone.localdate().replace(year=timezone.localdate().year + 3),
        now=timezone.now(),
    )
    page = browser_client.get("/account/verification")
    assert b"Card valid until" in page.content
    assert b'name="front"' not in page.content


def test_the_verification_page_shows_only_my_own(browser_client, other_customer):
    services.review_residence_card(
        customer=other_customer,
        status="rejected",
        reviewer=None,
        rejection_reason="Bob's card is expired.",
        now=timezone.now(),
    )
    page = browser_client.get("/account/verification")
    assert b"expired" not in page.content
    assert b"Not submitted" in page.content


def test_the_pages_carry_no_inline_script_or_style(browser_client):
    for page in ("/account/eligibility", "/account/verification"):
        html = browser_client.get(page).content.decode()
        assert "<script>" not in html
        assert " style=" not in html


def test_an_upload_sent_while_in_review_is_refused_with_a_message(browser_client, customer):
    services.submit_residence_card(customer=customer, now=timezone.now(), **_cards())
    response = browser_client.post("/account/verification", _cards())
    assert response.status_code == 200
    assert b"We are reviewing the card you sent" in response.content
