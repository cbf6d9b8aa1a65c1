"""The verification page, /account/verification."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import EligibilityStatus, VerificationStatus
from tests.accounts.support import JPEG, PNG, upload
from tests.factories import StaffUserFactory
from verification.services.review import review_residence_card, submit_residence_card

pytestmark = pytest.mark.django_db


def _cards(front=None, back=None):
    return {
        "front": front or upload("front.jpg", JPEG),
        "back": back or upload("back.png", PNG, "image/png"),
    }


def test_the_page_sends_anonymous_visitors_to_login(client):
    page = "/account/verification"
    response = client.get(page)
    assert response.status_code == 302
    assert response["Location"] == f"/login?next={page}"


def test_posting_without_login_changes_nothing(client, customer):
    page = "/account/verification"
    response = client.post(page, {"postal_code": "150-0002", "address": "x", **_cards()})
    assert response.status_code == 302
    customer.internet_eligibility.refresh_from_db()
    customer.residence_card_verification.refresh_from_db()
    assert customer.internet_eligibility.status == EligibilityStatus.NOT_REQUESTED
    assert customer.residence_card_verification.status == VerificationStatus.NOT_SUBMITTED


def test_staff_without_a_customer_record_get_a_404(client):
    page = "/account/verification"
    client.force_login(StaffUserFactory())
    assert client.get(page).status_code == 404


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
    review_residence_card(
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
    review_residence_card(
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
    review_residence_card(
        customer=other_customer,
        status="rejected",
        reviewer=None,
        rejection_reason="Bob's card is expired.",
        now=timezone.now(),
    )
    page = browser_client.get("/account/verification")
    assert b"expired" not in page.content
    assert b"Not submitted" in page.content


def test_the_page_carries_no_inline_script_or_style(browser_client):
    html = browser_client.get("/account/verification").content.decode()
    assert "<script>" not in html
    assert " style=" not in html


def test_an_upload_sent_while_in_review_is_refused_with_a_message(browser_client, customer):
    submit_residence_card(customer=customer, now=timezone.now(), **_cards())
    response = browser_client.post("/account/verification", _cards())
    assert response.status_code == 200
    assert b"We are reviewing the card you sent" in response.content
