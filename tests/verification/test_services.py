"""Residence card verification: the upload, the review, and telling the customer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from accounts.models import VerificationStatus
from eligibility.services import request_internet_eligibility
from notifications.models import Notification
from portal.api_errors import ApplicationError
from tests.accounts.support import JPEG, PDF, PNG, upload
from tests.factories import StaffUserFactory
from verification.services.review import (
    RESIDENCE_CARD_MAX_BYTES,
    review_residence_card,
    submit_residence_card,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)


def _request(customer, postal_code="150-0002", address="1-2-3 Shibuya, Tokyo"):
    return request_internet_eligibility(
        customer=customer, postal_code=postal_code, address=address, now=NOW
    )


def _notifications(customer, type):
    return Notification.objects.filter(user=customer.user, type=type)


# --- Residence card ---


def _submit(customer, front=None, back=None):
    return submit_residence_card(
        customer=customer,
        front=front or upload("front.jpg", JPEG),
        back=back or upload("back.png", PNG, "image/png"),
        now=NOW,
    )


def test_a_submitted_card_is_pending_and_stored_privately(customer, private_storage):
    verification = _submit(customer, back=upload("back.pdf", PDF, "application/pdf"))
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.PENDING
    assert verification.submitted_at == NOW
    assert verification.front_content_type == "image/jpeg"
    assert verification.back_content_type == "application/pdf"
    front_path = private_storage / verification.front_image.name
    assert front_path.read_bytes() == JPEG
    # The customer's file name never reaches the disk.
    assert "front.jpg" not in verification.front_image.name
    with pytest.raises(ValueError):
        verification.front_image.url  # noqa: B018  (private storage has no URL)


def test_the_file_type_comes_from_the_content_not_the_name_or_declared_type(customer):
    verification = _submit(customer, front=upload("scan.txt", PNG, "text/plain"))
    assert verification.front_content_type == "image/png"


def test_a_text_file_renamed_to_jpg_is_refused_naming_the_field(customer):
    with pytest.raises(ApplicationError) as refused:
        _submit(customer, front=upload("card.jpg", b"just some text, not a photo"))
    assert refused.value.code == "validation_error"
    assert refused.value.fields == {"front": ["Upload a JPEG, PNG or PDF file."]}


def test_an_empty_file_is_refused(customer):
    with pytest.raises(ApplicationError) as refused:
        _submit(customer, back=upload("back.jpg", b""))
    assert list(refused.value.fields) == ["back"]


def test_a_file_over_10_mb_is_refused(customer):
    too_large = JPEG + b"\x00" * (RESIDENCE_CARD_MAX_BYTES - len(JPEG) + 1)
    with pytest.raises(ApplicationError) as refused:
        _submit(customer, front=upload("front.jpg", too_large))
    assert refused.value.fields == {
        "front": ["The file is larger than 10 MB. Choose a smaller photo or scan."]
    }


def test_a_file_of_exactly_10_mb_is_accepted(customer):
    largest = JPEG + b"\x00" * (RESIDENCE_CARD_MAX_BYTES - len(JPEG))
    assert _submit(customer, front=upload("front.jpg", largest)).status == "pending"


def test_both_bad_sides_are_named_at_once(customer):
    with pytest.raises(ApplicationError) as refused:
        _submit(customer, front=upload("a.jpg", b"GIF89a..."), back=upload("b.jpg", b""))
    assert set(refused.value.fields) == {"front", "back"}


def test_a_card_in_review_cannot_be_sent_again(customer, private_storage):
    _submit(customer)
    with pytest.raises(ApplicationError) as refused:
        _submit(customer)
    assert refused.value.code == "residence_card_review_pending"
    # The refused upload left no file behind.
    assert len(list((private_storage / "residence-cards").rglob("*"))) == 3  # folder + 2 files


def test_a_verified_card_cannot_be_replaced(customer):
    review_residence_card(
        customer=customer, status="verified", reviewer=None, card_expires_on=None, now=NOW
    )
    with pytest.raises(ApplicationError) as refused:
        _submit(customer)
    assert refused.value.code == "residence_card_already_verified"


def test_sending_again_after_a_rejection_replaces_the_old_files(
    customer, private_storage, django_capture_on_commit_callbacks
):
    first = _submit(customer)
    old = [private_storage / first.front_image.name, private_storage / first.back_image.name]
    review_residence_card(
        customer=customer, status="rejected", reviewer=None, rejection_reason="Blurry.", now=NOW
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = _submit(customer)
    assert second.status == VerificationStatus.PENDING
    assert second.rejection_reason == ""
    assert second.reviewed_at is None
    assert not any(path.exists() for path in old)
    assert (private_storage / second.front_image.name).exists()


def test_verifying_records_reviewer_and_expiry_and_tells_the_customer(customer):
    _submit(customer)
    reviewer = StaffUserFactory()
    expires = date(2029, 3, 31)
    verification = review_residence_card(
        customer=customer,
        status="verified",
        reviewer=reviewer,
        card_expires_on=expires,
        now=NOW,
    )
    verification.refresh_from_db()
    assert verification.status == VerificationStatus.VERIFIED
    assert verification.reviewed_by == reviewer
    assert verification.reviewed_at == NOW
    assert verification.card_expires_on == expires
    notification = _notifications(customer, "VERIFICATION_VERIFIED").get()
    assert notification.source_id == f"{verification.pk}:{NOW:%Y%m%dT%H%M%S%f}"


def test_rejecting_needs_a_reason_which_the_customer_reads(customer):
    _submit(customer)
    with pytest.raises(ApplicationError) as refused:
        review_residence_card(
            customer=customer, status="rejected", reviewer=None, rejection_reason=" ", now=NOW
        )
    assert "rejectionReason" in refused.value.fields
    review_residence_card(
        customer=customer,
        status="rejected",
        reviewer=None,
        rejection_reason="The back side is unreadable.",
        now=NOW,
    )
    notification = _notifications(customer, "VERIFICATION_REJECTED").get()
    assert "The back side is unreadable." in notification.message


def test_a_second_rejection_within_the_hour_is_told_and_supersedes_the_first(customer):
    for minutes, reason in ((0, "The photo is blurred."), (40, "The card has expired.")):
        _submit(customer)
        review_residence_card(
            customer=customer,
            status="rejected",
            reviewer=None,
            rejection_reason=reason,
            now=NOW + timedelta(minutes=minutes),
        )
    first, second = _notifications(customer, "VERIFICATION_REJECTED").order_by("created_at")
    assert first.retired_at is not None and second.retired_at is None
    assert "The card has expired." in second.rendered("en").message
    # Written in English only: a Japanese reader sees it marked as English.
    assert "【英語】 The card has expired." in second.rendered("ja").message


def test_an_expired_card_cannot_be_verified(customer):
    with pytest.raises(ApplicationError) as refused:
        review_residence_card(
            customer=customer,
            status="verified",
            reviewer=None,
            card_expires_on=date(2026, 11, 23),
            now=NOW,
        )
    assert "cardExpiresOn" in refused.value.fields


def test_reviewing_to_the_same_status_notifies_nobody_and_updates_the_reason(customer):
    review_residence_card(
        customer=customer, status="rejected", reviewer=None, rejection_reason="Blurry.", now=NOW
    )
    verification = review_residence_card(
        customer=customer,
        status="rejected",
        reviewer=None,
        rejection_reason="The photo is blurry.",
        now=NOW + timedelta(days=2),
    )
    assert _notifications(customer, "VERIFICATION_REJECTED").count() == 1
    verification.refresh_from_db()
    assert verification.rejection_reason == "The photo is blurry."
    assert verification.reviewed_at == NOW


def test_verifying_clears_an_earlier_rejection_reason(customer):
    review_residence_card(
        customer=customer, status="rejected", reviewer=None, rejection_reason="Blurry.", now=NOW
    )
    verification = review_residence_card(
        customer=customer, status="verified", reviewer=None, now=NOW
    )
    assert verification.rejection_reason == ""
    assert _notifications(customer, "VERIFICATION_VERIFIED").count() == 1


@pytest.mark.parametrize("status", ["pending", "not_submitted", "ok"])
def test_only_verified_or_rejected_is_a_review(customer, status):
    with pytest.raises(ApplicationError):
        review_residence_card(customer=customer, status=status, reviewer=None, now=NOW)
